"""What a client bought, kept on the client whatever the service setting: its
first confirmed order and its total sales (read by the Hunter Conversion report
and the dashboard's call list instead of every order)."""

from datetime import datetime

from odoo.tests import tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestOrderFigures(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Kept whatever the service setting: tested with the service standards off.
        cls.env.ref("sales_roles.ir_cron_sales_service").active = False
        cls.client = cls._client("Figures Ltd")
        cls.contact = cls.env["res.partner"].create({"name": "Fay Figures", "parent_id": cls.client.id})

    def _figures(self, partner):
        return partner.first_order_id, partner.sales_total

    def _commit(self):
        """What ends every request: the transaction's precommit hooks."""
        self.env.flush_all()
        self.env.cr.flush()

    def test_first_order_and_total_follow_confirmations_and_cancellations(self):
        self.assertEqual(self._figures(self.client), (self.env["sale.order"], 0.0))
        june = self._order(self.contact, 100.0, date=datetime(2026, 6, 1, 10))
        self.assertEqual(self._figures(self.client), (june, 100.0), "through a contact, at once")
        self.assertEqual(self._figures(self.contact), (june, 100.0), "and on its contacts")
        march = self._order(self.client, 50.0, confirm=False, date_order=datetime(2026, 3, 1, 10))
        self.assertEqual(self._figures(self.client), (june, 100.0), "a quotation counts for nothing")
        march.action_confirm()
        march.date_order = datetime(2026, 3, 1, 10)  # confirming dates it now: back-date it
        self.assertEqual(self._figures(self.client), (march, 150.0), "the earliest order is the first")
        march._action_cancel()
        self.assertEqual(self._figures(self.client), (june, 100.0))
        june._action_cancel()
        self.assertEqual(self._figures(self.client), (self.env["sale.order"], 0.0))

    def test_editing_a_confirmed_order_or_moving_it(self):
        order = self._order(self.client, 100.0)
        order.order_line.price_unit = 180.0
        self._commit()
        self.assertEqual(self._figures(self.client), (order, 180.0), "its lines, at the end of the request")
        other = self._client("Other Figures Ltd")
        order.partner_id = other
        self.assertEqual(self._figures(self.client), (self.env["sale.order"], 0.0))
        self.assertEqual(self._figures(other), (order, 180.0))
        # A contact moving to another client takes its orders along.
        order.partner_id = self.contact
        self.assertEqual(self._figures(self.client), (order, 180.0))
        self.contact.parent_id = other
        self._commit()
        self.assertEqual(self._figures(other), (order, 180.0))
        self.assertEqual(self._figures(self.contact), (order, 180.0))
        self.assertEqual(self._figures(self.client), (self.env["sale.order"], 0.0))

    def test_the_nightly_run_sets_right_what_went_wrong(self):
        order = self._order(self.client, 100.0)
        other = self._client("Other Figures Ltd")
        self.env.flush_all()
        # e.g. orders written in SQL by an import script
        self.env.cr.execute(
            "UPDATE res_partner SET sales_total = 7, first_order_id = %s WHERE id = %s", [order.id, other.id]
        )
        self.env.cr.execute("UPDATE res_partner SET sales_total = 0 WHERE id = %s", [self.client.id])
        self.env["res.partner"].invalidate_model()
        self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(self._figures(self.client), (order, 100.0))
        self.assertEqual(self._figures(other), (self.env["sale.order"], 0.0))

    def test_the_hunter_report_reads_the_first_order(self):
        first = self._order(self.client, 100.0, user=self.hunter)
        self._order(self.client, 100.0, user=self.hunter_2)
        row = self.env["sales.hunter.report"].search([("partner_id", "=", self.client.id)])
        self.assertEqual(len(row), 1, "one row per client, none per contact")
        self.assertEqual((row.won_date, row.company_id), (first.date_order, first.company_id))
        self.assertEqual(row.hunter_id, self.hunter)
