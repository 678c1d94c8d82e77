from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestPositions(SalesRolesCase):
    def test_shipped_positions(self):
        roles = {
            "position_scout": "scout",
            "position_tele_sales": "hunter",
            "position_sales_manager": "hunter",
            "position_sales_rep": "hunter",
            "position_account_manager": "farmer",
            "position_key_account_manager": "farmer",
            "position_partner_account_manager": "farmer",
            "position_technical_support": "hybrid",
            "position_product_manager": "hybrid",
            "position_territory_manager": "hybrid",
            "position_regional_manager": "hybrid",
        }
        for xmlid, role in roles.items():
            self.assertEqual(self.env.ref(f"sales_roles.{xmlid}").sales_role, role, xmlid)

    def test_position_sets_the_role(self):
        position = self.env.ref("sales_roles.position_key_account_manager")
        self.hunter.sales_position_id = position
        self.assertEqual(self.hunter.sales_role, "farmer")
        position.sales_role = "hybrid"
        self.assertEqual(self.hunter.sales_role, "hybrid", "follows its position")

    def test_role_by_hand_without_position(self):
        self.hunter.sales_role = "hunter"
        self.assertEqual(self.hunter.sales_role, "hunter")
        self.assertFalse(self.hunter.sales_position_id)

    def test_user_form_sets_role_from_position(self):
        admin = new_test_user(
            self.env, "sr_admin", groups="base.group_erp_manager,sales_team.group_sale_manager"
        )
        with Form(self.env["res.users"].with_user(admin), view="base.view_users_form") as form:
            form.name = "Tele Tom"
            form.login = "tele_tom"
            form.sales_position_id = self.env.ref("sales_roles.position_tele_sales")
            self.assertEqual(form.sales_role, "hunter")
        user = self.env["res.users"].search([("login", "=", "tele_tom")])
        self.assertEqual(user.sales_role, "hunter")
        user.with_user(admin).write({"sales_role": "farmer", "sales_position_id": False})
        self.assertEqual(user.sales_role, "farmer")

    def test_users_grouped_by_role(self):
        self.hunter.sales_position_id = self.env.ref("sales_roles.position_sales_rep")
        self.farmer.sales_position_id = self.env.ref("sales_roles.position_account_manager")
        groups = dict(
            self.env["res.users"]._read_group(
                [("id", "in", (self.hunter | self.farmer).ids)], ["sales_role"], ["__count"]
            )
        )
        self.assertEqual(groups, {"hunter": 1, "farmer": 1})

    def test_positions_read_for_salesmen_write_for_managers(self):
        position = self.env.ref("sales_roles.position_scout")
        self.assertEqual(position.with_user(self.hunter).name, "Scout")
        with self.assertRaises(AccessError):
            position.with_user(self.hunter).write({"name": "Chief Scout"})
        with self.assertRaises(AccessError):
            self.env["sales.position"].with_user(self.hunter).create({"name": "Spy", "sales_role": "scout"})
        position.with_user(self.manager).write({"name": "Lead Qualifier"})
        self.assertEqual(position.name, "Lead Qualifier")
