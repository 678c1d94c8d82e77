from odoo.tests import HttpCase, new_test_user, tagged

SALESMAN = "sales_team.group_sale_salesman,base.group_partner_manager,product.group_product_manager"


@tagged("post_install", "-at_install")
class TestTargetUi(HttpCase):
    """The second boss steers, in the real web client (headless Chromium)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm = new_test_user(cls.env, "tour_target_pm", groups=SALESMAN, name="Tour Product Manager")
        cls.seller_1 = new_test_user(cls.env, "tour_seller_1", groups=SALESMAN, name="Tour Seller One")
        cls.seller_2 = new_test_user(cls.env, "tour_seller_2", groups=SALESMAN, name="Tour Seller Two")
        cls.line = cls.env["product.category"].create({"name": "Tour Line", "product_manager_id": cls.pm.id})
        other = cls.env["product.product"].create({"name": "Tour Other Product", "list_price": 10})
        cls.client = cls.env["res.partner"].create(
            {"name": "Tour Cross-Sell Client", "is_company": True, "user_id": cls.seller_1.id}
        )
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.client.id,
                "user_id": cls.seller_1.id,
                "order_line": [(0, 0, {"product_id": other.id, "price_unit": 10})],
            }
        )
        order.action_confirm()

    def test_product_manager_sets_targets_and_schedules_calls_salesperson_sees_them(self):
        self.start_tour("/odoo", "sales_roles_target_product_manager", login="tour_target_pm")
        targets = self.env["sales.target"].search([("product_categ_ids", "in", self.line.ids)])
        self.assertEqual(targets.user_id, self.seller_1 | self.seller_2)
        self.assertEqual(targets.mapped("amount"), [500.0, 500.0])
        self.assertEqual(targets.manager_id, self.pm)
        task = targets.task_ids
        self.assertEqual(task.partner_id, self.client)
        self.assertEqual(task.activity_id.user_id, self.seller_1)
        self.assertEqual(task.activity_id.summary, "Offer the Tour Line")
        self.start_tour("/odoo", "sales_roles_target_salesperson", login="tour_seller_1")
