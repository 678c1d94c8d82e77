from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


class MatrixCase(SalesRolesCase):
    """A category tree with product managers, territories with managers, confirmed orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        salesman = "sales_team.group_sale_salesman"
        cls.pm = new_test_user(cls.env, "sr_pm", groups=salesman, name="Paula Products")
        cls.pm_2 = new_test_user(cls.env, "sr_pm_2", groups=salesman, name="Pavel Products")
        cls.tm = new_test_user(cls.env, "sr_tm", groups=salesman, name="Tanya Territory")
        cls.rm = new_test_user(cls.env, "sr_rm", groups=salesman, name="Roman Region")
        cls.plain = new_test_user(cls.env, "sr_plain", groups=salesman, name="Sam Salesman")

        Category = cls.env["product.category"]
        cls.building = Category.create({"name": "Building Materials", "product_manager_id": cls.pm.id})
        cls.bricks = Category.create({"name": "Bricks", "parent_id": cls.building.id})
        cls.tools = Category.create({"name": "Tools"})
        Product = cls.env["product.product"]
        cls.brick = Product.create({"name": "Red Brick", "categ_id": cls.bricks.id, "taxes_id": [(5, 0, 0)]})
        cls.hammer = Product.create({"name": "Hammer", "categ_id": cls.tools.id, "taxes_id": [(5, 0, 0)]})

        russia = cls.env.ref("base.ru")
        State = cls.env["res.country.state"]
        msk = State.create({"name": "Moscow City", "code": "SR-MSK", "country_id": russia.id})
        spb = State.create({"name": "Saint Petersburg City", "code": "SR-SPB", "country_id": russia.id})
        Territory = cls.env["sales.territory"]
        cls.region = Territory.create({"name": "Russia", "manager_id": cls.rm.id})
        cls.moscow = Territory.create(
            {
                "name": "Moscow",
                "parent_id": cls.region.id,
                "state_ids": [(6, 0, msk.ids)],
                "manager_id": cls.tm.id,
            }
        )
        cls.petersburg = Territory.create(
            {"name": "Petersburg", "parent_id": cls.region.id, "state_ids": [(6, 0, spb.ids)]}
        )
        cls.france = Territory.create({"name": "France", "country_ids": [(6, 0, cls.env.ref("base.fr").ids)]})

        cls.client_msk = cls._client("Moscow Builders", country_id=russia.id, state_id=msk.id)
        cls.client_spb = cls._client("Neva Builders", country_id=russia.id, state_id=spb.id)
        cls.client_fr = cls._client("Bâtiments de France", country_id=cls.env.ref("base.fr").id)
        cls.clients = cls.client_msk | cls.client_spb | cls.client_fr

    @classmethod
    def _sell(cls, partner, user, lines, confirm=True):
        """lines: [(product, untaxed amount)]"""
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": user.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": 1, "price_unit": amount})
                    for product, amount in lines
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order


@tagged("post_install", "-at_install")
class TestProductManager(MatrixCase):
    def test_resolution_chain(self):
        products = self.env["product.template"]
        managers = (self.brick | self.hammer).product_tmpl_id._get_product_managers()
        self.assertEqual(managers[self.brick.product_tmpl_id], self.pm, "from the parent category")
        self.assertFalse(managers[self.hammer.product_tmpl_id], "nobody up the tree")
        self.bricks.product_manager_id = self.pm_2
        self.assertEqual(
            self.brick.product_tmpl_id._get_product_managers()[self.brick.product_tmpl_id],
            self.pm_2,
            "the nearest category wins",
        )
        self.brick.product_tmpl_id.product_manager_id = self.farmer
        self.assertEqual(
            self.brick.product_tmpl_id._get_product_managers()[self.brick.product_tmpl_id],
            self.farmer,
            "the product's own manager wins",
        )
        self.assertFalse(products._get_product_managers())

    def test_quotation_follows_confirmed_order_keeps(self):
        quotation = self._sell(
            self.client_msk, self.hunter, [(self.brick, 100.0), (self.hammer, 10.0)], confirm=False
        )
        order = self._sell(self.client_msk, self.hunter, [(self.brick, 200.0), (self.hammer, 20.0)])
        q_brick, q_hammer = quotation.order_line
        o_brick, o_hammer = order.order_line
        self.assertEqual((q_brick | o_brick).product_manager_id, self.pm)
        self.assertFalse((q_hammer | o_hammer).product_manager_id)

        self.building.product_manager_id = self.pm_2  # the category up the tree
        self.tools.product_manager_id = self.pm  # the product's category
        self.assertEqual(q_brick.product_manager_id, self.pm_2, "a quotation follows its product")
        self.assertEqual(q_hammer.product_manager_id, self.pm)
        self.assertEqual(o_brick.product_manager_id, self.pm, "a confirmed order keeps its manager")
        self.assertFalse(o_hammer.product_manager_id)

        self.hammer.product_tmpl_id.product_manager_id = self.farmer  # the product itself
        self.assertEqual(q_hammer.product_manager_id, self.farmer)
        self.assertFalse(o_hammer.product_manager_id)

        self.brick.product_tmpl_id.categ_id = self.tools  # moving the product
        self.assertEqual(q_brick.product_manager_id, self.pm)
        self.assertEqual(o_brick.product_manager_id, self.pm)
        self.bricks.parent_id = False  # moving a category
        self.hammer.product_tmpl_id.write({"categ_id": self.bricks.id, "product_manager_id": False})
        self.assertFalse(q_hammer.product_manager_id)
        self.bricks.parent_id = self.building
        self.assertEqual(q_hammer.product_manager_id, self.pm_2)
        self.assertFalse(o_hammer.product_manager_id)

        quotation.action_confirm()
        self.building.product_manager_id = self.tm
        self.tools.product_manager_id = self.tm
        self.assertEqual(q_brick.product_manager_id, self.pm, "frozen once confirmed")
        # A line added to a confirmed order sells now: today's manager.
        order.write({"order_line": [(0, 0, {"product_id": self.brick.id, "price_unit": 5.0})]})
        self.assertEqual(order.order_line[-1].product_manager_id, self.tm)

    def test_recompute_wizard_updates_the_period_only(self):
        january = self._sell(self.client_msk, self.hunter, [(self.brick, 100.0), (self.hammer, 10.0)])
        march = self._sell(self.client_spb, self.hunter, [(self.brick, 200.0), (self.hammer, 20.0)])
        april = self._sell(self.client_fr, self.hunter, [(self.brick, 300.0)])
        cancelled = self._sell(self.client_fr, self.hunter, [(self.brick, 400.0)])
        cancelled._action_cancel()
        quotation = self._sell(self.client_fr, self.hunter, [(self.brick, 500.0)], confirm=False)
        january.date_order = datetime(2025, 1, 15, 10, 0)
        march.date_order = datetime(2025, 3, 31, 20, 0)
        (april | cancelled | quotation).write({"date_order": datetime(2025, 4, 1, 0, 30)})
        # The organisation changed in January, and this moves quotations at once.
        self.bricks.product_manager_id = self.pm_2
        self.tools.product_manager_id = self.pm
        self.assertEqual(quotation.order_line.product_manager_id, self.pm_2)

        wizard = (
            self.env["sales.matrix.recompute.wizard"]
            .with_user(self.manager)
            .create({"date_from": "2025-02-01", "date_to": "2025-03-31"})
        )
        result = wizard.action_recompute()
        self.assertIn("2 order line(s)", result["params"]["message"])
        self.assertEqual(march.order_line.mapped("product_manager_id"), self.pm_2 + self.pm)
        self.assertEqual(january.order_line.mapped("product_manager_id"), self.pm, "outside the period")
        self.assertFalse(january.order_line[1].product_manager_id)
        self.assertEqual(april.order_line.product_manager_id, self.pm, "outside the period")
        self.assertEqual(cancelled.order_line.product_manager_id, self.pm, "not confirmed")

    def test_recompute_wizard_can_restamp_territories(self):
        order = self._sell(self.client_msk, self.hunter, [(self.brick, 100.0)])
        order.date_order = datetime(2025, 1, 15, 10, 0)
        self.client_msk.sales_territory_id = self.france
        self.assertEqual(order.sales_territory_id, self.moscow)
        self.env["sales.matrix.recompute.wizard"].create(
            {"date_from": "2025-01-01", "date_to": "2025-01-31", "update_territories": True}
        ).action_recompute()
        self.assertEqual(order.sales_territory_id, self.france)

    def test_recompute_wizard_from_selected_orders(self):
        orders = self._sell(self.client_msk, self.hunter, [(self.brick, 1.0)])
        orders |= self._sell(self.client_msk, self.hunter, [(self.brick, 1.0)])
        orders[0].date_order = datetime(2025, 2, 3, 12, 0)
        orders[1].date_order = datetime(2025, 5, 6, 12, 0)
        Wizard = self.env["sales.matrix.recompute.wizard"].with_context(
            active_model="sale.order", active_ids=orders.ids
        )
        wizard = Wizard.create({})
        self.assertEqual(str(wizard.date_from), "2025-02-03")
        self.assertEqual(str(wizard.date_to), "2025-05-06")

    def test_recompute_wizard_is_for_administrators(self):
        with self.assertRaises(AccessError):
            self.env["sales.matrix.recompute.wizard"].with_user(self.farmer).create(
                {"date_from": "2025-01-01", "date_to": "2025-01-31"}
            )


@tagged("post_install", "-at_install")
class TestSalesMatrix(MatrixCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Moscow Builders: a new client of Hannah's.
        cls.o_msk = cls._sell(cls.client_msk, cls.hunter, [(cls.brick, 100.0), (cls.hammer, 200.0)])
        # Neva Builders: won by Henry, then handed over to Fiona.
        cls.o_spb = cls._sell(cls.client_spb, cls.hunter_2, [(cls.hammer, 300.0)])
        cls.client_spb.write({"sales_lifecycle_state": "regular", "user_id": cls.farmer.id})
        cls.o_spb_2 = cls._sell(cls.client_spb, cls.farmer, [(cls.brick, 1000.0)])
        # France: won by Hannah, a second order sold by Sam.
        cls.o_fr = cls._sell(cls.client_fr, cls.hunter, [(cls.brick, 400.0), (cls.hammer, 50.0)])
        cls.o_fr_2 = cls._sell(cls.client_fr, cls.plain, [(cls.hammer, 70.0)])
        cls.orders = cls.o_msk | cls.o_spb | cls.o_spb_2 | cls.o_fr | cls.o_fr_2
        cls.lines = cls.orders.order_line

    def _report_sums(self, groupby):
        self.env.flush_all()
        groups = self.env["sale.report"]._read_group(
            [("partner_id", "in", self.clients.ids), ("state", "=", "sale")],
            [groupby],
            ["price_subtotal:sum"],
        )
        return dict(groups)

    def _line_sums(self, key):
        sums = {}
        for line in self.lines:
            sums[key(line)] = sums.get(key(line), 0.0) + line.price_subtotal
        return sums

    def test_report_by_product_manager(self):
        sums = self._report_sums("product_manager_id")
        self.assertEqual(sums, self._line_sums(lambda line: line.product_manager_id))
        self.assertEqual(sums, {self.pm: 1500.0, self.env["res.users"]: 620.0})

    def test_report_by_territory(self):
        sums = self._report_sums("sales_territory_id")
        self.assertEqual(sums, self._line_sums(lambda line: line.order_id.sales_territory_id))
        self.assertEqual(sums, {self.moscow: 300.0, self.petersburg: 1300.0, self.france: 520.0})

    def test_report_by_hunter(self):
        sums = self._report_sums("hunter_id")
        self.assertEqual(sums, self._line_sums(lambda line: line.order_id.hunter_id))
        self.assertEqual(sums, {self.hunter: 820.0, self.hunter_2: 1300.0})

    def test_report_by_lifecycle_state(self):
        sums = self._report_sums("sales_lifecycle_state")
        self.assertEqual(sums, self._line_sums(lambda line: line.order_id.sales_lifecycle_state))
        self.assertEqual(sums, {"new": 1120.0, "regular": 1000.0})

    def test_report_matrix_cell(self):
        self.env.flush_all()
        groups = self.env["sale.report"]._read_group(
            [("partner_id", "in", self.clients.ids)],
            ["user_id", "product_manager_id"],
            ["price_subtotal:sum"],
        )
        cells = {(user, manager): total for user, manager, total in groups}
        self.assertEqual(cells[self.hunter, self.pm], 500.0)
        self.assertEqual(cells[self.farmer, self.pm], 1000.0)
        self.assertEqual(cells[self.plain, self.env["res.users"]], 70.0)

    def _visible_lines(self, user):
        self.env.flush_all()
        report = self.env["sale.report"].with_user(user).search([("partner_id", "in", self.clients.ids)])
        # One report row per order line (its id is the line's).
        return self.env["sale.order.line"].browse(report.ids)

    def _lines(self, *pairs):
        return self.env["sale.order.line"].union(
            *(order.order_line.filtered_domain([("product_id", "=", product.id)]) for order, product in pairs)
        )

    def test_product_manager_sees_the_lines_of_their_products(self):
        expected = self._lines((self.o_msk, self.brick), (self.o_spb_2, self.brick), (self.o_fr, self.brick))
        self.assertEqual(self._visible_lines(self.pm), expected)
        self.assertFalse(self._visible_lines(self.pm_2))

    def test_territory_manager_sees_the_lines_of_their_territory(self):
        self.assertEqual(self._visible_lines(self.tm), self.o_msk.order_line)

    def test_regional_manager_sees_the_lines_of_the_region(self):
        expected = self.o_msk.order_line | self.o_spb.order_line | self.o_spb_2.order_line
        self.assertEqual(self._visible_lines(self.rm), expected)
        # A new regional manager takes the region over, territories included.
        self.region.manager_id = self.pm_2
        self.assertEqual(self._visible_lines(self.pm_2), expected)
        self.assertFalse(self._visible_lines(self.rm))

    def test_plain_salesman_sees_their_own_lines_only(self):
        self.assertEqual(self._visible_lines(self.plain), self.o_fr_2.order_line)
        self.assertEqual(len(self._visible_lines(self.hunter)), 4, "Moscow and the first French order")

    def test_roles_add_up(self):
        # Sam also manages the tools.
        self.tools.product_manager_id = self.plain
        self.env["sale.order.line"].search([("order_id", "in", self.orders.ids)])._update_product_manager()
        hammers = self._lines(
            (self.o_msk, self.hammer),
            (self.o_spb, self.hammer),
            (self.o_fr, self.hammer),
            (self.o_fr_2, self.hammer),
        )
        self.assertEqual(self._visible_lines(self.plain), hammers)

    def test_managers_do_not_see_the_orders_themselves(self):
        for user in (self.pm, self.tm, self.rm):
            self.assertFalse(self.env["sale.order"].with_user(user).search([("id", "in", self.orders.ids)]))
            self.assertFalse(
                self.env["sale.order.line"].with_user(user).search([("id", "in", self.lines.ids)])
            )

    def test_all_documents_users_see_everything(self):
        self.assertEqual(self._visible_lines(self.farmer), self.lines)

    def test_sales_matrix_menu(self):
        matrix = self.env.ref("sales_roles.sale_report_matrix_menu")
        core_report = self.env.ref("sale.menu_reporting_sales")
        handovers = self.env.ref("sales_roles.sales_handover_menu")
        visible = self.env["ir.ui.menu"].with_user(self.plain)._visible_menu_ids()
        self.assertIn(matrix.id, visible)
        self.assertIn(self.env.ref("sale.menu_sale_report").id, visible)
        self.assertNotIn(core_report.id, visible, "core's reports stay for administrators")
        self.assertNotIn(handovers.id, visible)
        visible = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertTrue({matrix.id, core_report.id, handovers.id} <= visible)
