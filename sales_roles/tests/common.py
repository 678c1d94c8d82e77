from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user

SALES_LEVELS = (
    "sales_team.group_sale_salesman",
    "sales_team.group_sale_salesman_all_leads",
    "sales_team.group_sale_manager",
)


class _Done(Exception):
    """Raised to roll back an operation that succeeded."""


class SalesRolesCase(TransactionCase):
    """Users, a product and helpers to create and confirm orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env, "sr_manager", groups="sales_team.group_sale_manager", name="Sales Director"
        )
        cls.hunter = new_test_user(
            cls.env, "sr_hunter", groups="sales_team.group_sale_salesman", name="Hannah Hunter"
        )
        cls.hunter_2 = new_test_user(
            cls.env, "sr_hunter_2", groups="sales_team.group_sale_salesman", name="Henry Hunter"
        )
        cls.farmer = new_test_user(
            cls.env, "sr_farmer", groups="sales_team.group_sale_salesman_all_leads", name="Fiona Farmer"
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Pallet of Bricks", "list_price": 100.0, "type": "consu", "taxes_id": [(5, 0, 0)]}
        )

    @classmethod
    def _settings_user(cls, login, sales_group="sales_team.group_sale_salesman", **vals):
        """A user as Settings > Users creates one: the groups of the template user
        ``base.default_user`` (Contact Creation, Product Creation, ...), with the
        Sales level an administrator picks instead of the template's (sales_team
        makes the template a Sales Administrator).

        :param str sales_group: xml id of the Sales level, or False for none
        """
        levels = cls.env["res.groups"].browse([cls.env.ref(xmlid).id for xmlid in SALES_LEVELS])
        groups = cls.env.ref("base.default_user").groups_id - levels
        if sales_group:
            groups |= cls.env.ref(sales_group)
        return cls.env["res.users"].create(
            {
                "name": vals.pop("name", login.replace("_", " ").title()),
                "login": login,
                "email": f"{login}@example.com",
                "groups_id": [Command.set(groups.ids)],
                **vals,
            }
        )

    @classmethod
    def _client(cls, name="Lumber Inc", **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _order(cls, partner, amount=100.0, user=None, confirm=True, date=None, **vals):
        """A one-line order; ``date`` back-dates it once confirmed (confirming sets the date to now)."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": (user or cls.hunter).id,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount})
                ],
                **vals,
            }
        )
        if confirm:
            order.action_confirm()
            if date:
                order.date_order = date
        return order

    @classmethod
    def _rule(cls, conditions, **vals):
        """An active rule with ``conditions`` (a list of condition values)."""
        return cls.env["sales.handover.rule"].create(
            {
                "name": vals.pop("name", "Test rule"),
                "condition_ids": [(0, 0, condition) for condition in conditions],
                **vals,
            }
        )

    def _can(self, operation):
        """Whether ``operation`` (a callable) succeeds; its effects are rolled back."""
        try:
            with self.env.cr.savepoint():
                operation()
                raise _Done
        except _Done:
            return True
        except (AccessError, UserError):
            return False
        finally:
            self.env.invalidate_all()


def warm_up_web_client(env):
    """Build the web client's asset bundles once for a class of browser tests.

    Odoo builds a bundle at its first request and stores it as an attachment in
    the current transaction: in HttpCase each test's transaction is rolled back,
    so every tour would build them again (tens of seconds each on a busy
    2-core machine, and Odoo gives the page 60 s to get ready). Built in
    ``setUpClass``, they are kept for all the class's tests.
    """
    QWeb = env["ir.qweb"]
    for name, css, js in (
        ("web.assets_web", True, True),
        ("web.assets_web_print", True, False),
        ("web.assets_tests", False, True),
    ):
        bundle = QWeb._get_asset_bundle(name, css=css, js=js)
        if css:
            bundle.css()
        if js:
            bundle.js()
