from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestLifecycle(SalesRolesCase):
    def test_new_partner_is_prospect(self):
        client = self._client()
        self.assertEqual(client.sales_lifecycle_state, "prospect")
        self.assertFalse(client.hunter_id)

    def test_first_confirmed_order_wins_the_prospect(self):
        client = self._client(user_id=self.farmer.id)
        order = self._order(client, user=self.hunter, confirm=False)
        self.assertEqual(client.sales_lifecycle_state, "prospect", "a quotation wins nothing")
        order.action_confirm()
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertEqual(client.hunter_id, self.hunter, "the hunter is the order's salesperson")
        self.assertEqual(order.sales_lifecycle_state, "new")
        self.assertEqual(order.hunter_id, self.hunter)

    def test_hunter_falls_back_to_partner_salesperson(self):
        client = self._client(user_id=self.hunter_2.id)
        order = self._order(client, confirm=False)
        order.user_id = False
        order.action_confirm()
        self.assertEqual(client.hunter_id, self.hunter_2)

    def test_contact_order_counts_for_its_company(self):
        client = self._client()
        contact = self.env["res.partner"].create({"name": "Jane Buyer", "parent_id": client.id})
        order = self._order(contact, user=self.hunter)
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertEqual(client.hunter_id, self.hunter)
        # Contacts show their company's values and can be searched by them.
        self.assertEqual(contact.sales_lifecycle_state, "new")
        self.assertEqual(contact.hunter_id, self.hunter)
        self.assertEqual(order.hunter_id, self.hunter)
        found = self.env["res.partner"].search([("hunter_id", "=", self.hunter.id)])
        self.assertEqual(found, client | contact)

    def test_new_contact_inherits_company_values(self):
        client = self._client()
        self._order(client, user=self.hunter)
        # A salesman who may create contacts, but not set hunters.
        creator = new_test_user(
            self.env, "sr_creator", groups="sales_team.group_sale_salesman,base.group_partner_manager"
        )
        contact = (
            self.env["res.partner"].with_user(creator).create({"name": "Late Joiner", "parent_id": client.id})
        )
        self.assertEqual(contact.sales_lifecycle_state, "new")
        self.assertEqual(contact.hunter_id, self.hunter)

    def test_second_order_keeps_the_hunter(self):
        client = self._client()
        self._order(client, user=self.hunter)
        second = self._order(client, user=self.hunter_2)
        self.assertEqual(client.hunter_id, self.hunter)
        self.assertEqual(second.hunter_id, self.hunter)
        self.assertEqual(second.sales_lifecycle_state, "new")

    def test_cancelling_keeps_the_state(self):
        client = self._client()
        order = self._order(client)
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertEqual(client.hunter_id, self.hunter)

    def test_regular_client_order_is_stamped_regular(self):
        client = self._client()
        self._order(client)
        client.write({"sales_lifecycle_state": "regular", "user_id": self.farmer.id})
        order = self._order(client, user=self.farmer)
        self.assertEqual(order.sales_lifecycle_state, "regular")
        self.assertEqual(order.hunter_id, self.hunter)

    def test_several_orders_confirmed_together(self):
        client_a, client_b = self._client("A"), self._client("B")
        orders = self._order(client_a, user=self.hunter, confirm=False)
        orders |= self._order(client_a, user=self.hunter_2, confirm=False)
        orders |= self._order(client_b, user=self.hunter_2, confirm=False)
        orders.action_confirm()
        self.assertEqual(client_a.hunter_id, self.hunter, "the first order of A wins it")
        self.assertEqual(client_b.hunter_id, self.hunter_2)
        self.assertEqual(set(orders.mapped("sales_lifecycle_state")), {"new"})

    def test_lifecycle_change_is_tracked(self):
        client = self._client()
        order = self._order(client, confirm=False)
        # Odoo tracks no change of a record created in the same transaction:
        # forget the creation, as if the client had been created the day before.
        self.env.flush_all()
        self.env.cr.precommit.clear()
        order.action_confirm()
        self.env.cr.precommit.run()  # tracking messages are written at commit
        tracked = client.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "sales_lifecycle_state"
        )
        self.assertTrue(tracked, "the chatter shows prospect -> new")

    def test_only_sales_administrators_set_the_hunter(self):
        client = self._client()
        with self.assertRaises(AccessError):
            client.with_user(self.farmer).write({"hunter_id": self.farmer.id})
        with self.assertRaises(AccessError):
            client.with_user(self.hunter).write({"handover_blocked": True})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.hunter).create({"name": "X", "hunter_id": self.hunter.id})
        self.assertFalse(client.hunter_id)
        client.with_user(self.manager).write({"hunter_id": self.hunter.id, "handover_blocked": True})
        self.assertEqual(client.hunter_id, self.hunter)
        self.assertTrue(client.handover_blocked)

    def _confirm_counting_queries(self, order):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        order.action_confirm()
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def _two_orders_of_a_new_contact(self):
        client = self._client()
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": client.id})
        return self._order(contact, confirm=False), self._order(contact, confirm=False)

    def test_confirming_an_order_costs_a_pinned_number_of_queries(self):
        # What confirming costs without the addon's steps, measured in the same test.
        SaleOrder = type(self.env["sale.order"])
        with (
            patch.object(SaleOrder, "_stamp_client_lifecycle", lambda orders: None),
            patch.object(SaleOrder, "_stamp_sales_territory", lambda orders: None),
            patch.object(SaleOrder, "_refresh_client_figures", lambda orders: None),
        ):
            base = list(map(self._confirm_counting_queries, self._two_orders_of_a_new_contact()))
        ours = list(map(self._confirm_counting_queries, self._two_orders_of_a_new_contact()))
        # prospect -> new: reading the client, one UPDATE of the client and one of its
        # contact, and one of the client's order figures (first order, total sales)
        self.assertEqual(ours[0] - base[0], 6)
        # a new client's next order: reading the client to stamp the order, its order figures
        self.assertEqual(ours[1] - base[1], 3)
        first, second = self._two_orders_of_a_new_contact()
        self.env.flush_all()
        self.env.invalidate_all()
        # Both refresh the client's order figures, look for the salesperson's
        # targets of the day, then refresh the client's service figures (at
        # commit: is the service job on, a savepoint, the refresh, its release);
        # the first, which changes the client's state, finds its client first.
        with self.assertQueryCount(__system__=51):
            first.action_confirm()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=38):
            second.action_confirm()


@tagged("post_install", "-at_install")
class TestInstallClassification(SalesRolesCase):
    def _reset(self, partners):
        partners.write({"sales_lifecycle_state": "prospect", "hunter_id": False})

    def _build(self, n):
        clients = self.env["res.partner"]
        for i in range(n):
            client = self._client(f"Old Client {n}-{i}", user_id=self.hunter_2.id)
            contact = self.env["res.partner"].create({"name": f"Contact {n}-{i}", "parent_id": client.id})
            # Two confirmed orders through the contact: the first one decides the hunter.
            self._order(contact, user=self.hunter, date_order="2024-01-0%d" % (1 + i % 5))
            self._order(client, user=self.farmer, date_order="2025-01-01")
            clients |= client | contact
        no_user = self._client(f"Old Client {n} no user", user_id=self.hunter_2.id)
        order = self._order(no_user, confirm=False)
        order.user_id = False
        order.action_confirm()
        prospect = self._client(f"Never Bought {n}")
        self._order(prospect, confirm=False)  # a quotation only
        self._order(self._client(f"Cancelled {n}"), confirm=False)._action_cancel()
        self._reset(clients | no_user | prospect)
        self.env["sale.order"].search([("partner_id", "child_of", clients.ids)]).write({"hunter_id": False})
        return clients, no_user, prospect

    def test_classification_of_existing_clients(self):
        clients, no_user, prospect = self._build(3)
        self.env["res.partner"]._classify_existing_clients()
        for partner in clients:
            self.assertEqual(partner.sales_lifecycle_state, "new", partner.name)
            self.assertEqual(partner.hunter_id, self.hunter, "first order's salesperson")
        self.assertEqual(no_user.sales_lifecycle_state, "new")
        self.assertEqual(no_user.hunter_id, self.hunter_2, "partner's salesperson when the order has none")
        self.assertEqual(prospect.sales_lifecycle_state, "prospect")
        orders = self.env["sale.order"].search([("partner_id", "child_of", clients.ids)])
        self.assertFalse(orders.hunter_id, "orders are credited later (test_historical_orders.py)")

    def test_classification_query_count_does_not_grow(self):
        self._build(2)
        with self.assertQueryCount(__system__=1):
            self.env["res.partner"]._classify_existing_clients()
        self._build(20)
        with self.assertQueryCount(__system__=1):
            self.env["res.partner"]._classify_existing_clients()
