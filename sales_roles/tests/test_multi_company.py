from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestMultiCompany(SalesRolesCase):
    """Two companies with different currencies: each one's rules, territories and
    handovers stay with its own clients."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.company_b = cls.env["res.company"].create({"name": "Europa GmbH", "currency_id": eur.id})
        cls.farmer_b = new_test_user(
            cls.env,
            "mc_farmer_b",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.farmer.company_ids |= cls.company_b
        cls.hunter.company_ids |= cls.company_b
        cls.both = new_test_user(
            cls.env,
            "mc_both",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.client_a = cls._client("Client of A", company_id=cls.company_a.id)
        cls.client_b = cls._client("Client of B", company_id=cls.company_b.id)
        cls.shared = cls._client("Shared client")
        for client in (cls.client_a, cls.shared):
            for _i in range(2):
                cls._order(client, amount=100)
        cls.pricelist_b = pricelist_b = cls.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": cls.company_b.id}
        )
        for _i in range(2):
            cls._order(
                cls.client_b,
                amount=100,
                company_id=cls.company_b.id,
                pricelist_id=pricelist_b.id,
                user=cls.hunter,
            )
        cls.rule_a = cls._rule(
            [{"criterion": "sales_total", "min_amount": 150}],
            name="A: 150",
            company_id=cls.company_a.id,
            target_user_ids=[Command.set(cls.farmer.ids)],
        )
        cls.rule_b = cls._rule(
            [{"criterion": "sales_total", "min_amount": 150}],
            name="B: 150 EUR",
            company_id=cls.company_b.id,
            target_user_ids=[Command.set(cls.farmer_b.ids)],
        )

    def test_each_company_moves_its_own_clients_in_its_currency(self):
        self.assertEqual(self.rule_b.currency_id, self.env.ref("base.EUR"))
        self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(self.client_a.handover_ids.rule_id, self.rule_a)
        self.assertEqual(self.client_a.user_id, self.farmer)
        self.assertEqual(self.shared.handover_ids.rule_id, self.rule_a, "A's orders count for A's rule")
        self.assertEqual(self.client_b.handover_ids.rule_id, self.rule_b)
        self.assertEqual(self.client_b.user_id, self.farmer_b)
        handover_b = self.client_b.handover_ids
        self.assertEqual(handover_b.company_id, self.company_b)
        self.assertEqual(handover_b.currency_id.name, "EUR")
        self.assertEqual(handover_b.sales_total, 200.0, "measured in B's currency")

    def _order_in_b(self, client, days_ago=0):
        order = self._order(
            client,
            amount=100,
            company_id=self.company_b.id,
            pricelist_id=self.pricelist_b.id,
            user=self.hunter,
        )
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def test_a_shared_client_buying_from_both_companies_is_left_to_people(self):
        """A client without company buying from A and B: neither company's rules decide
        for the other (B's dormant rule would not see A's orders, B's handover rule would
        give A's client to B's farmers)."""
        self.shared.sales_lifecycle_state = "regular"
        self._order_in_b(self.shared, days_ago=200)
        self._rule(
            [{"criterion": "inactivity", "inactivity_days": 90}],
            name="B: dormant after 90 days",
            company_id=self.company_b.id,
            from_state="regular",
            to_state="dormant",
            assign_method="keep",
        )
        self._rule(
            [{"criterion": "order_count", "min_count": 1}],
            name="A: regular → key",
            company_id=self.company_a.id,
            from_state="regular",
            to_state="key",
            assign_method="keep",
        )
        self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(self.shared.sales_lifecycle_state, "regular", "it buys every week in A")
        self.assertFalse(self.shared.handover_ids)

    def test_a_shared_client_buying_from_one_company_follows_its_rules(self):
        only_b = self._client("Shared, buys from B")
        self._order_in_b(only_b)
        self._order_in_b(only_b)
        self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(only_b.handover_ids.rule_id, self.rule_b, "B's rule, in B's currency")
        self.assertEqual(only_b.user_id, self.farmer_b)
        self.assertEqual(self.shared.handover_ids.rule_id, self.rule_a, "A's shared client stays A's")

    def test_user_of_both_companies_sees_each_only_when_selected(self):
        Rule = self.env["sales.handover.rule"].with_user(self.both)
        only_a = Rule.with_context(allowed_company_ids=self.company_a.ids).search(
            [("name", "in", ["A: 150", "B: 150 EUR"])]
        )
        self.assertEqual(only_a, self.rule_a)
        both = Rule.with_context(allowed_company_ids=(self.company_a | self.company_b).ids).search(
            [("name", "in", ["A: 150", "B: 150 EUR"])]
        )
        self.assertEqual(both, self.rule_a | self.rule_b)
        self.env["sales.handover.rule"]._cron_run_handover()
        Log = self.env["sales.handover"].with_user(self.both)
        clients = (self.client_a | self.client_b).ids
        self.assertEqual(
            Log.with_context(allowed_company_ids=self.company_b.ids)
            .search([("partner_id", "in", clients)])
            .partner_id,
            self.client_b,
        )
        self.assertEqual(
            len(
                Log.with_context(allowed_company_ids=(self.company_a | self.company_b).ids).search(
                    [("partner_id", "in", clients)]
                )
            ),
            2,
        )

    def test_territories_of_one_company_do_not_match_the_other(self):
        country = self.env.ref("base.de")
        territory_a = self.env["sales.territory"].create(
            {
                "name": "Germany (A)",
                "company_id": self.company_a.id,
                "country_ids": [Command.set(country.ids)],
            }
        )
        territory_b = self.env["sales.territory"].create(
            {
                "name": "Germany (B)",
                "company_id": self.company_b.id,
                "country_ids": [Command.set(country.ids)],
            }
        )
        (self.client_a | self.client_b).write({"country_id": country.id})
        self.assertEqual(self.client_a.sales_territory_id, territory_a)
        self.assertEqual(self.client_b.sales_territory_id, territory_b)
        Territory = self.env["sales.territory"].with_user(self.farmer_b)
        visible = Territory.with_context(allowed_company_ids=self.company_b.ids).search(
            [("id", "in", (territory_a | territory_b).ids)]
        )
        self.assertEqual(visible, territory_b)

    def test_preview_lines_stay_with_the_rule_company(self):
        both = self.rule_b.with_user(self.both).with_context(allowed_company_ids=self.company_b.ids)
        action = both.action_preview()
        Line = self.env[action["res_model"]].with_user(self.farmer)
        in_b = Line.with_context(allowed_company_ids=self.company_b.ids)
        self.assertEqual(in_b.search(action["domain"]).partner_id, self.client_b)
        in_a = Line.with_context(allowed_company_ids=self.company_a.ids)
        self.assertFalse(in_a.search(action["domain"]), "B's clients, not to be listed in A")
        self.assertEqual(in_a.search_count(action["domain"]), 0)
