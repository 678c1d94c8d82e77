from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sales_roles.models.handover_criteria import CRITERIA

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHandoverCriteria(SalesRolesCase):
    """Each criterion at its boundary: exactly the threshold holds, one below does not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["sales.handover.rule"]

    def _matches(self, rule, clients):
        """The clients among ``clients`` that ``rule`` would move now."""
        moves = rule._plan_handovers().moves
        return {move.client_id for move in moves} & set(clients.ids)

    def _keep_rule(self, conditions, **vals):
        return self._rule(conditions, assign_method="keep", **vals)

    def test_order_count_boundary(self):
        three, two = self._client("Three"), self._client("Two")
        for _i in range(3):
            self._order(three)
        for _i in range(2):
            self._order(two)
        self._order(two, confirm=False)  # a quotation does not count
        self._order(two)._action_cancel()  # nor does a cancelled order
        rule = self._keep_rule([{"criterion": "order_count", "min_count": 3}])
        self.assertEqual(self._matches(rule, three | two), {three.id})

    def test_order_count_counts_contact_orders(self):
        client = self._client()
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": client.id})
        self._order(client)
        self._order(contact)
        self._order(contact)
        rule = self._keep_rule([{"criterion": "order_count", "min_count": 3}])
        self.assertEqual(
            self._matches(rule, client | contact), {client.id}, "moves the company, not the contact"
        )

    @freeze_time("2026-06-15 12:00:00")
    def test_order_count_within_period(self):
        recent, old = self._client("Recent"), self._client("Old")
        self._order(recent, date="2026-04-01")
        self._order(recent, date="2026-05-01")
        self._order(old, date="2026-05-01")
        self._order(old, date="2025-12-01")  # 6.5 months ago
        rule = self._keep_rule([{"criterion": "order_count", "min_count": 2, "period_months": 6}])
        self.assertEqual(self._matches(rule, recent | old), {recent.id})
        rule.condition_ids.period_months = 7
        self.assertEqual(self._matches(rule, recent | old), {recent.id, old.id})

    def test_sales_total_boundary(self):
        exact, below = self._client("Exact"), self._client("Below")
        self._order(exact, amount=600)
        self._order(exact, amount=400)
        self._order(below, amount=600)
        self._order(below, amount=399.99)
        rule = self._keep_rule([{"criterion": "sales_total", "min_amount": 1000}])
        self.assertEqual(self._matches(rule, exact | below), {exact.id})

    def test_sales_total_converts_other_currencies(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        company_currency = self.company.currency_id
        self.assertNotEqual(eur, company_currency)
        # 2 EUR for 1 unit of the company currency, as sale.report converts.
        self.env["res.currency.rate"].search([("currency_id", "in", (eur | company_currency).ids)]).unlink()
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 2.0, "name": "2000-01-01"})
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id})
        client, other = self._client("Euro Client"), self._client("Euro Other")
        self._order(client, amount=100)  # 100 in company currency
        euro_order = self._order(client, amount=400, pricelist_id=pricelist.id)  # 400 EUR = 200
        self.assertEqual(euro_order.currency_id, eur)
        self._order(other, amount=599.98, pricelist_id=pricelist.id)  # 299.99
        rule = self._keep_rule([{"criterion": "sales_total", "min_amount": 300}])
        self.assertEqual(self._matches(rule, client | other), {client.id})
        (move,) = [m for m in rule._plan_handovers().moves if m.client_id == client.id]
        self.assertEqual(move.sales_total, 300.0)
        self.assertEqual(move.order_count, 2)

    def test_product_purchased(self):
        parent = self.env["product.category"].create({"name": "Machines"})
        child = self.env["product.category"].create({"name": "Lathes", "parent_id": parent.id})
        lathe = self.env["product.product"].create({"name": "Lathe", "categ_id": child.id})
        flagship = self.env["product.product"].create({"name": "Flagship"})
        by_product, by_category, neither = self._client("P"), self._client("C"), self._client("N")
        self._order(by_product, order_line=[(0, 0, {"product_id": flagship.id, "price_unit": 1})])
        self._order(by_category, order_line=[(0, 0, {"product_id": lathe.id, "price_unit": 1})])
        self._order(neither)
        cancelled = self._order(neither, confirm=False, order_line=[(0, 0, {"product_id": flagship.id})])
        cancelled.action_confirm()
        cancelled._action_cancel()
        rule = self._keep_rule(
            [
                {
                    "criterion": "product_purchased",
                    "product_ids": [(6, 0, flagship.ids)],
                    "product_categ_ids": [(6, 0, parent.ids)],
                }
            ]
        )
        self.assertEqual(
            self._matches(rule, by_product | by_category | neither), {by_product.id, by_category.id}
        )

    @freeze_time("2026-06-15 12:00:00")
    def test_min_order_amount(self):
        steady = self._client("Steady")  # buying for 4 months, every order >= 100
        self._order(steady, amount=50, date="2026-02-01")  # before the window: ignored
        self._order(steady, amount=100, date="2026-04-01")
        self._order(steady, amount=150, date="2026-06-01")
        dip = self._client("Dip")  # one order below the lot in the window
        self._order(dip, amount=500, date="2026-02-01")
        self._order(dip, amount=99.99, date="2026-05-01")
        self._order(dip, amount=500, date="2026-06-01")
        young = self._client("Young")  # first order less than 3 months ago
        self._order(young, amount=500, date="2026-04-01")
        quiet = self._client("Quiet")  # no order in the window
        self._order(quiet, amount=500, date="2026-01-01")
        clients = steady | dip | young | quiet
        rule = self._keep_rule([{"criterion": "min_order_amount", "min_amount": 100, "period_months": 3}])
        self.assertEqual(self._matches(rule, clients), {steady.id})
        rule.condition_ids.min_count = 3  # steady has only 2 orders in the window
        self.assertEqual(self._matches(rule, clients), set())
        rule.condition_ids.min_count = 2
        self.assertEqual(self._matches(rule, clients), {steady.id})

    @freeze_time("2026-06-15 12:00:00")
    def test_inactivity(self):
        sleeping, active = self._client("Sleeping"), self._client("Active")
        self._order(sleeping, date="2026-03-16 11:00:00")  # 91 days ago
        self._order(active, date="2026-03-18 12:00:00")  # 89 days ago
        (sleeping | active).write({"sales_lifecycle_state": "regular"})
        rule = self._keep_rule(
            [{"criterion": "inactivity", "inactivity_days": 90}], from_state="regular", to_state="dormant"
        )
        self.assertEqual(self._matches(rule, sleeping | active), {sleeping.id})

    def test_all_conditions_must_hold(self):
        both, count_only = self._client("Both"), self._client("Count only")
        for _i in range(2):
            self._order(both, amount=500)
            self._order(count_only, amount=10)
        rule = self._keep_rule(
            [{"criterion": "order_count", "min_count": 2}, {"criterion": "sales_total", "min_amount": 1000}]
        )
        self.assertEqual(self._matches(rule, both | count_only), {both.id})

    def test_candidates_filters(self):
        team = self.env["crm.team"].create({"name": "Wholesale"})
        in_team = self._client("In team", team_id=team.id, country_id=self.env.ref("base.ru").id)
        out_team = self._client("Out of team", country_id=self.env.ref("base.ru").id)
        in_team_abroad = self._client("Abroad", team_id=team.id, country_id=self.env.ref("base.fr").id)
        blocked = self._client("Blocked", team_id=team.id, country_id=self.env.ref("base.ru").id)
        clients = in_team | out_team | in_team_abroad | blocked
        for client in clients:
            self._order(client)
        blocked.handover_blocked = True
        rule = self._keep_rule(
            [{"criterion": "order_count", "min_count": 1}],
            team_ids=[(6, 0, team.ids)],
            partner_domain="[('country_id.code', '=', 'RU')]",
        )
        self.assertEqual(self._matches(rule, clients), {in_team.id})

    def test_other_company_rule_ignores_clients_of_company_a(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        own_client = self._client("A's client", company_id=self.company.id)
        shared_client = self._client("Shared client")
        for client in own_client | shared_client:
            for _i in range(2):
                self._order(client)
        rule_b = self._keep_rule([{"criterion": "order_count", "min_count": 1}], company_id=company_b.id)
        # Orders of company A do not count for B's rule, and A's own client is not B's.
        self.assertEqual(self._matches(rule_b, own_client | shared_client), set())

    @freeze_time("2026-06-15 12:00:00")
    def test_engine_agrees_with_the_orm_reference_of_every_criterion(self):
        """Each criterion's SQL (all clients at once) against its ORM definition
        (one client at a time), on clients around every threshold."""
        category = self.env["product.category"].create({"name": "Flagships"})
        flagship = self.env["product.product"].create({"name": "Batching Plant", "categ_id": category.id})
        histories = {
            "none": [],
            "one small": [(20, "2026-06-01")],
            "two recent": [(100, "2026-05-01"), (100, "2026-06-10")],
            "three old": [(500, "2025-01-01"), (500, "2025-06-01"), (500, "2025-12-01")],
            "steady": [(50, "2026-01-15"), (100, "2026-04-01"), (150, "2026-06-01")],
            "dip": [(500, "2026-01-15"), (99.99, "2026-05-01"), (500, "2026-06-01")],
            "big": [(5000, "2026-03-17 12:00:00")],
        }
        clients = self.env["res.partner"]
        for name, history in histories.items():
            client = self._client(name, sales_lifecycle_state="new")
            for amount, date in history:
                self._order(client, amount=amount, date=date)
            clients |= client
        self._order(
            clients[2], order_line=[(0, 0, {"product_id": flagship.id, "price_unit": 1})], date="2026-06-01"
        )
        conditions = [
            {"criterion": "order_count", "min_count": 2},
            {"criterion": "order_count", "min_count": 2, "period_months": 3},
            {"criterion": "sales_total", "min_amount": 300},
            {"criterion": "sales_total", "min_amount": 200, "period_months": 6},
            {"criterion": "product_purchased", "product_categ_ids": [(6, 0, category.ids)]},
            {"criterion": "min_order_amount", "min_amount": 100, "period_months": 3, "min_count": 2},
            {"criterion": "inactivity", "inactivity_days": 90},
        ]
        self.assertEqual({c["criterion"] for c in conditions}, set(CRITERIA), "every criterion is tried")
        now = fields.Datetime.now()
        for values in conditions:
            with self.subTest(**{k: v for k, v in values.items() if k != "product_categ_ids"}):
                rule = self._keep_rule([values])
                reference = {c.id for c in clients if rule.condition_ids._holds_for(c, now)}
                self.assertEqual(self._matches(rule, clients), reference)
                rule.active = False
