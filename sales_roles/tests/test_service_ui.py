from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestServiceUi(HttpCase):
    """The service level in the real web client (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An "own documents" account manager as Settings > Users creates one.
        levels = [
            cls.env.ref(xmlid).id
            for xmlid in (
                "sales_team.group_sale_salesman",
                "sales_team.group_sale_salesman_all_leads",
                "sales_team.group_sale_manager",
            )
        ]
        groups = cls.env.ref("base.default_user").groups_id.filtered(lambda g: g.id not in levels)
        cls.farmer = cls.env["res.users"].create(
            {
                "name": "Tour Account Manager",
                "login": "tour_service_farmer",
                "password": "tour_service_farmer",
                "groups_id": [Command.set((groups | cls.env.ref("sales_team.group_sale_salesman")).ids)],
            }
        )
        cls.env.ref("sales_roles.ir_cron_sales_service").active = True
        cls.env["sales.service.standard"].create(
            {
                "name": "Tour standard: every 30 days",
                "lifecycle_state": "regular",
                "contact_interval_days": 30,
            }
        )
        product = cls.env["product.product"].create({"name": "Tour Cement", "list_price": 12})
        cls.overdue = cls._regular_client("Tour Overdue Client", product, days_ago=40)
        cls.fine = cls._regular_client("Tour Fine Client", product, days_ago=2)
        cls.env["sales.service.standard"]._cron_service_standards()

    @classmethod
    def _regular_client(cls, name, product, days_ago):
        client = cls.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": cls.farmer.id, "sales_lifecycle_state": "regular"}
        )
        order = cls.env["sale.order"].create(
            {
                "partner_id": client.id,
                "user_id": cls.farmer.id,
                "order_line": [Command.create({"product_id": product.id, "price_unit": 12})],
            }
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return client

    def test_a_farmer_logs_the_call_of_an_overdue_client(self):
        self.assertEqual(self.overdue.service_status, "overdue")
        self.assertEqual(self.fine.service_status, "ok")
        touchpoint = self.overdue.activity_ids
        self.assertEqual(
            (touchpoint.user_id, touchpoint.activity_type_id),
            (self.farmer, self.env.ref("mail.mail_activity_data_call")),
        )
        self.start_tour("/odoo", "sales_roles_service_touchpoint", login="tour_service_farmer")
        self.assertEqual(self.overdue.service_status, "ok")
        self.assertFalse(self.overdue.activity_ids)
        done = self.overdue.message_ids.filtered("mail_activity_type_id")
        self.assertIn("a new order next week", done.body)
