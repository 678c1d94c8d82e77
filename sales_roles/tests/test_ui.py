from odoo.tests import HttpCase, new_test_user, tagged

from .common import warm_up_web_client


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    """The daily use of the addon, in the real web client (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.director = new_test_user(
            cls.env,
            "tour_director",
            groups="sales_team.group_sale_manager,base.group_system,base.group_partner_manager",
            name="Tour Director",
        )
        cls.hunter = new_test_user(
            cls.env,
            "tour_hunter",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            name="Tour Hunter",
        )
        cls.farmer = new_test_user(
            cls.env,
            "tour_farmer",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            name="Tour Farmer",
        )
        cls.farmer.sales_position_id = cls.env.ref("sales_roles.position_account_manager")
        cls.team = cls.env["crm.team"].create(
            {"name": "Tour Farmers", "member_ids": [(6, 0, cls.farmer.ids)]}
        )
        cls.product = cls.env["product.product"].create({"name": "Tour Brick", "list_price": 10})
        warm_up_web_client(cls.env)

    def _client(self, name, orders=0, user=None):
        client = self.env["res.partner"].create(
            {"name": name, "is_company": True, "user_id": (user or self.hunter).id}
        )
        for _i in range(orders):
            order = self.env["sale.order"].create(
                {
                    "partner_id": client.id,
                    "user_id": self.hunter.id,
                    "order_line": [(0, 0, {"product_id": self.product.id, "price_unit": 10})],
                }
            )
            order.action_confirm()
        return client

    def test_director_writes_previews_and_runs_a_rule(self):
        client = self._client("Tour Third Order Client", orders=3)
        self.start_tour("/odoo", "sales_roles_director_rule", login="tour_director")
        rule = self.env["sales.handover.rule"].search([("name", "=", "Tour: after the 3rd order")])
        self.assertEqual(rule.condition_ids.min_count, 3)
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertEqual(client.user_id, self.farmer)
        self.assertEqual(client.handover_ids.rule_id, rule)

    def test_salesman_sees_lifecycle_and_history(self):
        client = self._client("Tour Regular Client", orders=1)
        self.env["sales.handover.wizard"].create(
            {
                "partner_ids": [(6, 0, client.ids)],
                "user_id": self.farmer.id,
                "to_state": "regular",
                "reason": "3 orders",
            }
        ).action_confirm()
        self.start_tour("/odoo", "sales_roles_salesman_client", login="tour_farmer")

    def test_manual_handover_from_the_list(self):
        clients = self._client("Tour Manual One") | self._client("Tour Manual Two")
        self.start_tour("/odoo", "sales_roles_manual_handover", login="tour_hunter")
        self.assertEqual(clients.user_id, self.farmer)
        self.assertEqual(set(clients.handover_ids.mapped("reason")), {"Moving to account management"})

    def test_settings_toggle_automatic_handover(self):
        cron = self.env.ref("sales_roles.ir_cron_sales_handover")
        self.assertTrue(cron.active)
        self.start_tour(
            "/odoo/action-sale.action_sale_config_settings", "sales_roles_settings", login="tour_director"
        )
        self.assertFalse(cron.active)

    def test_product_manager_reads_the_sales_matrix(self):
        manager = new_test_user(
            self.env, "tour_pm", groups="sales_team.group_sale_salesman", name="Tour Product Manager"
        )
        self.product.product_manager_id = manager
        self._client("Tour Matrix Client", orders=2)  # sold by the hunter, not by the manager
        self.start_tour("/odoo", "sales_roles_product_manager_matrix", login="tour_pm")
