from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .targets_common import TargetCase

SALESMAN = "sales_team.group_sale_salesman"


@tagged("post_install", "-at_install")
class TestTargetAccess(TargetCase):
    """Who sets what: administrators any target, product managers within their
    products, territory and regional managers within their territories,
    salespeople read their own. Each kind of user both as Settings > Users
    makes them (Contact Creation, Product Creation) and bare."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm_bare = new_test_user(cls.env, "tg_pm_bare", groups=SALESMAN, name="Bare Product Manager")
        cls.tm_bare = new_test_user(cls.env, "tg_tm_bare", groups=SALESMAN, name="Bare Territory Manager")
        cls.seller = cls._settings_user("tg_seller", name="Sasha Seller")
        cls.seller_bare = new_test_user(cls.env, "tg_seller_bare", groups=SALESMAN, name="Bare Seller")
        cls.admin_settings = cls._settings_user("tg_admin", "sales_team.group_sale_manager")
        cls.building_target = cls._target(product_categ_ids=[Command.set(cls.building.ids)])
        cls.tools_target = cls._target(product_categ_ids=[Command.set(cls.tools.ids)])
        cls.moscow_target = cls._target(territory_id=cls.moscow.id)

    def _as(self, user, records=None):
        return (records or self.env["sales.target"]).with_user(user)

    def _create(self, user, **scope):
        return self._as(user).create(
            {
                "user_id": self.hunter.id,
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
                "amount": 500.0,
                **scope,
            }
        )

    def _product_managers(self):
        """The building manager, as Settings > Users makes them and bare."""
        for user in (self.pm, self.pm_bare):
            self.building.product_manager_id = user
            yield user

    def test_product_manager_inside_their_scope(self):
        for pm in self._product_managers():
            with self.subTest(pm=pm.login):
                child = self._create(pm, product_categ_ids=[Command.set(self.bricks.ids)])
                both = self._create(
                    pm,
                    product_ids=[Command.set(self.brick.ids)],
                    product_categ_ids=[Command.set(self.building.ids)],
                    territory_id=self.france.id,
                )
                self.assertEqual((child | both).manager_id, pm, "signed by who set them")
                mine = self._as(pm).search(
                    [("id", "in", (child | both | self.building_target | self.tools_target).ids)]
                )
                self.assertEqual(
                    mine, child | both | self.building_target, "and the administrator's in their scope"
                )
                self.env.flush_all()
                shown = child | both | self.building_target | self.tools_target | self.moscow_target
                report = (
                    self.env["sales.target.report"].with_user(pm).search([("target_id", "in", shown.ids)])
                )
                self.assertEqual(
                    report.target_id, child | both | self.building_target, "in Targets vs Achieved too"
                )
                self._as(pm, self.building_target).write({"amount": 2000.0})
                self._as(pm, child).product_categ_ids = [Command.set(self.building.ids)]
                self._as(pm, both).unlink()
                self.assertEqual(self.building_target.scope_manager_ids, pm)
                self.assertEqual(self.building_target.product_manager_id, pm)

    def test_product_manager_outside_their_scope(self):
        for pm in self._product_managers():
            with self.subTest(pm=pm.login):
                for scope in (
                    {"product_categ_ids": [Command.set(self.tools.ids)]},
                    {"product_ids": [Command.set((self.brick | self.hammer).ids)]},
                    {},
                    {"territory_id": self.moscow.id},
                ):
                    with self.assertRaisesRegex(AccessError, "products you manage"):
                        self._create(pm, **scope)
                target = self._create(pm, product_categ_ids=[Command.set(self.bricks.ids)])
                with self.assertRaisesRegex(AccessError, "products you manage"):
                    self._as(pm, target).product_ids = [Command.set(self.hammer.ids)]
                self.assertFalse(self._as(pm).search([("id", "=", self.tools_target.id)]))
                with self.assertRaises(AccessError):
                    self._as(pm, self.tools_target).read(["amount"])
                with self.assertRaises(AccessError):
                    self._as(pm, self.tools_target).write({"amount": 1.0})
                with self.assertRaises(AccessError):
                    self._as(pm, self.moscow_target).unlink()

    def test_a_products_own_manager_wins(self):
        self.brick.product_manager_id = self.pm_tools
        with self.assertRaises(AccessError):
            self._create(self.pm, product_ids=[Command.set(self.brick.ids)])
        target = self._create(self.pm_tools, product_ids=[Command.set(self.brick.ids)])
        self.assertEqual(target.product_manager_id, self.pm_tools)

    def test_territory_and_regional_managers(self):
        for tm in (self.tm, self.tm_bare):
            self.moscow.manager_id = tm
            with self.subTest(tm=tm.login):
                target = self._create(
                    tm, territory_id=self.moscow.id, product_categ_ids=[Command.set(self.tools.ids)]
                )
                self.assertIn(tm, target.scope_manager_ids)
                for territory in (self.petersburg, self.region, self.env["sales.territory"]):
                    with self.assertRaisesRegex(AccessError, "territory you manage"):
                        self._create(tm, territory_id=territory.id)
                with self.assertRaises(AccessError):
                    self._as(tm, target).territory_id = self.petersburg
                self._as(tm, self.moscow_target).amount = 800.0
        # A regional manager: the region and every territory under it.
        for territory in (self.region, self.moscow, self.petersburg):
            self._create(self.rm, territory_id=territory.id)
        with self.assertRaises(AccessError):
            self._create(self.rm, territory_id=self.france.id)
        self.assertEqual(self.moscow_target.scope_manager_ids, self.tm_bare | self.rm)
        self.env.flush_all()
        report = self.env["sales.target.report"].with_user(self.tm_bare).search([])
        self.assertEqual(report.target_id.territory_id, self.moscow)

    def test_set_targets_and_the_record_rules_agree_on_who_manages_a_scope(self):
        Product, Territory = self.env["product.product"], self.env["sales.territory"]
        no_category = self.env["product.category"]
        scopes = [
            (Product, self.bricks, Territory),
            (self.brick | self.cement, no_category, Territory),
            (self.brick, self.tools, Territory),
            (Product, no_category, Territory),
            (Product, no_category, self.moscow),
            (Product, no_category, self.region),
            (self.hammer, no_category, self.petersburg),
        ]
        for user in (self.pm, self.pm_tools, self.tm, self.rm, self.seller, self.manager):
            for products, categories, territory in scopes:
                with self.subTest(user=user.login, scope=(products.ids, categories.ids, territory.ids)):
                    may = (
                        self.env["sales.target"]
                        .with_user(user)
                        ._may_set_scope(products, categories, territory)
                    )
                    try:
                        with self.env.cr.savepoint():
                            self._create(
                                user,
                                product_ids=[Command.set(products.ids)],
                                product_categ_ids=[Command.set(categories.ids)],
                                territory_id=territory.id,
                            )
                        created = True
                    except AccessError:
                        created = False
                    self.assertEqual(may, created)

    def test_organisation_changes_apply_at_once(self):
        self.assertTrue(self._as(self.pm).search([("id", "=", self.building_target.id)]))
        self.building.product_manager_id = self.pm_tools
        self.assertFalse(self._as(self.pm).search([("id", "=", self.building_target.id)]))
        self._as(self.pm_tools, self.building_target).amount = 1500.0
        self.region.manager_id = self.tm
        self._as(self.tm, self.moscow_target).amount = 1500.0
        self.region.manager_id = self.rm
        self.moscow.manager_id = self.rm
        with self.assertRaises(AccessError):
            self._as(self.tm, self.moscow_target).amount = 1600.0

    def test_salesperson_reads_their_own_targets_only(self):
        for seller in (self.seller, self.seller_bare):
            with self.subTest(seller=seller.login):
                own = self._target(user=seller, product_categ_ids=[Command.set(self.building.ids)])
                Target = self._as(seller)
                visible = Target.search([("id", "in", (own | self.building_target | self.moscow_target).ids)])
                self.assertEqual(visible, own)
                self.assertEqual(own.with_user(seller).achieved_amount, 0.0)
                with self.assertRaises(AccessError):
                    self._as(seller, self.building_target).read(["name"])
                with self.assertRaises(AccessError):
                    own.with_user(seller).write({"amount": 1.0})
                with self.assertRaises(AccessError):
                    own.with_user(seller).unlink()
                with self.assertRaises(AccessError):
                    Target.create(
                        {
                            "user_id": seller.id,
                            "date_from": date(2025, 3, 1),
                            "date_to": date(2025, 3, 31),
                            "amount": 1.0,
                        }
                    )
                self.env.flush_all()
                report = self.env["sales.target.report"].with_user(seller).search([])
                self.assertEqual(report.target_id, own)

    def test_all_documents_users_read_every_target(self):
        Target = self._as(self.farmer)
        targets = self.building_target | self.tools_target | self.moscow_target
        self.assertEqual(Target.search([("id", "in", targets.ids)]), targets)
        with self.assertRaises(AccessError):
            self._as(self.farmer, self.tools_target).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self._create(self.farmer, product_categ_ids=[Command.set(self.tools.ids)])

    def test_administrators_set_any_target(self):
        for admin in (self.manager, self.admin_settings):
            with self.subTest(admin=admin.login):
                target = self._create(admin, product_categ_ids=[Command.set(self.tools.ids)])
                self._as(admin, target).write({"territory_id": self.france.id, "manager_id": self.pm.id})
                self.assertEqual(target.manager_id, self.pm)
                self._as(admin, target).unlink()

    def test_who_set_it_cannot_be_forged(self):
        scope = {"product_categ_ids": [Command.set(self.bricks.ids)]}
        with self.assertRaisesRegex(AccessError, "Set By"):
            self._create(self.pm, manager_id=self.manager.id, **scope)
        Target = self._as(self.pm).with_context(default_manager_id=self.manager.id)
        with self.assertRaisesRegex(AccessError, "Set By"):
            Target.create(
                {
                    "user_id": self.hunter.id,
                    "date_from": date(2025, 3, 1),
                    "date_to": date(2025, 3, 31),
                    "amount": 1.0,
                    **scope,
                }
            )
        self.env["ir.default"].set("sales.target", "manager_id", self.manager.id)
        with self.assertRaisesRegex(AccessError, "Set By"):
            self._create(self.pm, **scope)
        self.env["ir.default"].discard_values("sales.target", "manager_id", [self.manager.id])
        target = self._create(self.pm, manager_id=self.pm.id, **scope)
        self._as(self.pm, target).write({"manager_id": self.pm.id})  # unchanged: not a change
        with self.assertRaisesRegex(AccessError, "Set By"):
            self._as(self.pm, self.building_target).write({"manager_id": self.pm.id})

    def test_import_obeys_the_same_rules(self):
        fields = ["user_id/id", "date_from", "date_to", "amount", "product_categ_ids/id", "manager_id/id"]
        xmlids = {
            record: record._export_rows([["id"]])[0][0]
            for record in (self.hunter, self.bricks, self.tools, self.pm, self.manager)
        }

        def load(categ, manager):
            row = [xmlids[self.hunter], "2025-03-01", "2025-03-31", "100", xmlids[categ], xmlids[manager]]
            return self._as(self.pm).load(fields, [row])

        self.assertTrue(load(self.bricks, self.pm)["ids"])
        for categ, manager in ((self.tools, self.pm), (self.bricks, self.manager)):
            result = load(categ, manager)
            self.assertFalse(result["ids"])
            self.assertEqual(result["messages"][0]["type"], "error")

    def test_other_companys_targets_are_invisible(self):
        company_b = self.env["res.company"].create({"name": "Other Company"})
        admin_b = self._settings_user(
            "tg_admin_b",
            "sales_team.group_sale_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        Target = self._as(admin_b).with_context(allowed_company_ids=company_b.ids)
        self.assertFalse(Target.search([]))
        with self.assertRaises(AccessError):
            self._as(admin_b, self.tools_target).with_context(allowed_company_ids=company_b.ids).read(
                ["name"]
            )
