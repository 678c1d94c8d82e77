from unittest.mock import patch

from odoo.tests import tagged

from ..hooks import post_init_hook
from ..models import sale_order
from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHistoricalOrders(SalesRolesCase):
    """Installing on a live database: the install classifies the clients and
    writes no order; the orders that predate it are credited to their hunter
    afterwards by a scheduled action, in committed batches, and the Sales
    Matrix reads the client's hunter for them meanwhile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("sales_roles.ir_cron_stamp_historical_orders")
        cls.params = cls.env["ir.config_parameter"].sudo()

    def _live_database(self, n):
        """``n`` clients with a contact and two confirmed orders each, a client with
        a quotation only, as they were before the addon: prospects, no stamp."""
        clients = self.env["res.partner"]
        for i in range(n):
            client = self._client(f"Old Client {n}-{i}", user_id=self.hunter_2.id)
            contact = self.env["res.partner"].create({"name": f"Contact {n}-{i}", "parent_id": client.id})
            self._order(contact, user=self.hunter, date="2024-01-01")
            self._order(client, user=self.farmer, date="2025-01-01")
            clients |= client | contact
        quotation = self._order(self._client(f"Quotation {n}"), confirm=False)
        orders = self.env["sale.order"].search([("partner_id", "child_of", clients.ids)])
        clients.write({"sales_lifecycle_state": "prospect", "hunter_id": False})
        orders.write({"hunter_id": False, "sales_lifecycle_state": False})
        self.env.flush_all()
        return clients, orders, quotation

    def _matrix_by_hunter(self, orders):
        groups = self.env["sale.report"]._read_group(
            [("order_reference", "in", [f"sale.order,{order.id}" for order in orders])],
            ["hunter_id"],
            ["__count"],
        )
        return dict(groups)

    def _last_progress(self):
        return self.env["ir.cron.progress"].search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)

    def test_install_writes_no_order_and_wakes_the_scheduled_action(self):
        clients, orders, _quotation = self._live_database(3)
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        post_init_hook(self.env)
        self.assertEqual(set(clients.mapped("sales_lifecycle_state")), {"new"})
        self.assertEqual(clients.hunter_id, self.hunter, "the salesperson of the first order")
        self.assertFalse(orders.hunter_id, "the install writes no order")
        self.assertTrue(self.cron.active)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers + 1
        )
        last_id = self.env["sale.order"].search([], order="id desc", limit=1).id
        self.assertEqual(self.params.get_param(sale_order.STAMP_LAST_ID), str(last_id))

    def test_sales_matrix_credits_the_client_hunter_meanwhile(self):
        _clients, orders, quotation = self._live_database(2)
        post_init_hook(self.env)
        self.assertEqual(self._matrix_by_hunter(orders), {self.hunter: len(orders)})
        self.assertEqual(
            self._matrix_by_hunter(quotation),
            {self.env["res.users"]: 1},
            "only confirmed orders are credited",
        )
        self.cron.method_direct_trigger()
        self.assertEqual(self._matrix_by_hunter(orders), {self.hunter: len(orders)}, "the same once stamped")

    def test_scheduled_action_credits_the_orders_in_batches_then_switches_off(self):
        _clients, orders, quotation = self._live_database(3)
        post_init_hook(self.env)
        ids = sorted(orders.ids)
        last_id = int(self.params.get_param(sale_order.STAMP_LAST_ID))
        # Ranges of two ids, the call ending after its first range: the last two orders.
        self.params.set_param(sale_order.STAMP_DONE_ID, ids[-3])
        with (
            patch.object(sale_order, "STAMP_BATCH_IDS", 2),
            patch.object(sale_order, "TIME_BUDGET", -1),
        ):
            self.cron.method_direct_trigger()
        progress = self._last_progress()
        self.assertEqual(
            (progress.done, progress.remaining, progress.deactivate), (2, last_id - ids[-1], False)
        )
        self.assertEqual(sorted(orders.filtered("hunter_id").ids), ids[-2:])
        self.params.set_param(sale_order.STAMP_DONE_ID, 0)  # the others
        self.cron.method_direct_trigger()
        progress = self._last_progress()
        self.assertEqual(
            (progress.remaining, progress.deactivate), (0, True), "done: ir.cron switches it off"
        )
        self.assertEqual(orders.hunter_id, self.hunter)
        self.assertFalse(quotation.hunter_id, "a quotation is stamped when confirmed")

    def test_orders_stamped_by_the_addon_are_left_alone(self):
        clients, orders, _quotation = self._live_database(1)
        post_init_hook(self.env)
        client = clients.filtered("is_company")
        # Confirmed with the addon: stamped with the hunter of the day, who is
        # then replaced on the client by an administrator.
        recent = self._order(client, user=self.hunter_2)
        client.hunter_id = self.hunter_2
        orphan = self._order(self._client("No Salesperson"), confirm=False)
        orphan.write({"user_id": False})
        orphan.action_confirm()
        self.assertFalse(orphan.hunter_id, "a client won by nobody")
        self.params.set_param(sale_order.STAMP_LAST_ID, orphan.id)
        self.cron.method_direct_trigger()
        self.assertEqual(recent.hunter_id, self.hunter, "the hunter of the day it was confirmed")
        self.assertFalse(orphan.hunter_id)
        self.assertEqual(orders.hunter_id, self.hunter_2, "past orders: the client's hunter when credited")

    def test_scheduled_action_is_idempotent(self):
        _clients, orders, _quotation = self._live_database(2)
        post_init_hook(self.env)
        self.cron.method_direct_trigger()
        self.assertEqual(orders.hunter_id, self.hunter)
        orders[0].sudo().hunter_id = self.hunter_2  # a correction made since
        self.env.flush_all()
        with self.assertQueryCount(__system__=4):  # the call's progress, its system parameters
            self.env["sale.order"]._cron_stamp_historical_orders()
        self.assertEqual(orders[0].hunter_id, self.hunter_2, "nothing is credited twice")

    def test_install_query_count_does_not_grow(self):
        for n in (2, 20):
            _clients, orders, _quotation = self._live_database(n)
            for key in (sale_order.STAMP_LAST_ID, sale_order.STAMP_DONE_ID):
                self.params.set_param(key, -1)  # as the other size leaves it
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(__system__=13):
                post_init_hook(self.env)
            with self.assertQueryCount(__system__=1):
                self.env["sale.order"]._stamp_historical_orders(0, max(orders.ids))
            self.assertEqual(orders.hunter_id, self.hunter)
