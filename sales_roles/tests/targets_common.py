from datetime import date

from odoo import Command

from .common import SalesRolesCase


class TargetCase(SalesRolesCase):
    """The matrix of a building-supplies wholesaler: two product lines with their
    product managers, a region with its territories and managers, clients in
    them, all made as Settings > Users makes users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The hunter works in Moscow: her targets' days are Moscow days.
        cls.hunter.tz = "Europe/Moscow"
        cls.pm = cls._settings_user("tg_pm", name="Paula Products")
        cls.pm_tools = cls._settings_user("tg_pm_tools", name="Tomas Tools")
        cls.tm = cls._settings_user("tg_tm", name="Tanya Territory")
        cls.rm = cls._settings_user("tg_rm", name="Roman Region")

        Category = cls.env["product.category"]
        cls.building = Category.create({"name": "Building Materials", "product_manager_id": cls.pm.id})
        cls.bricks = Category.create({"name": "Bricks", "parent_id": cls.building.id})
        cls.tools = Category.create({"name": "Tools", "product_manager_id": cls.pm_tools.id})
        Product = cls.env["product.product"]
        no_tax = [Command.clear()]
        cls.brick = Product.create({"name": "Red Brick", "categ_id": cls.bricks.id, "taxes_id": no_tax})
        cls.cement = Product.create({"name": "Cement", "categ_id": cls.building.id, "taxes_id": no_tax})
        cls.hammer = Product.create({"name": "Hammer", "categ_id": cls.tools.id, "taxes_id": no_tax})

        russia, france = cls.env.ref("base.ru"), cls.env.ref("base.fr")
        State = cls.env["res.country.state"]
        msk = State.create({"name": "Moscow City", "code": "TG-MSK", "country_id": russia.id})
        spb = State.create({"name": "Saint Petersburg City", "code": "TG-SPB", "country_id": russia.id})
        Territory = cls.env["sales.territory"]
        cls.region = Territory.create({"name": "Russia", "manager_id": cls.rm.id})
        cls.moscow = Territory.create(
            {
                "name": "Moscow",
                "parent_id": cls.region.id,
                "state_ids": [Command.set(msk.ids)],
                "manager_id": cls.tm.id,
            }
        )
        cls.petersburg = Territory.create(
            {"name": "Petersburg", "parent_id": cls.region.id, "state_ids": [Command.set(spb.ids)]}
        )
        cls.france = Territory.create({"name": "France", "country_ids": [Command.set(france.ids)]})

        cls.client_msk = cls._client(
            "Moscow Builders", country_id=russia.id, state_id=msk.id, user_id=cls.hunter.id
        )
        cls.client_spb = cls._client(
            "Neva Builders", country_id=russia.id, state_id=spb.id, user_id=cls.hunter.id
        )
        cls.client_fr = cls._client("Bâtiments de France", country_id=france.id, user_id=cls.hunter.id)

    @classmethod
    def _sell(cls, partner, lines, user=None, date=None, confirm=True, **vals):
        """An order of ``lines`` [(product, untaxed amount)]; ``date`` back-dates it once confirmed."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": (user or cls.hunter).id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": amount})
                    for product, amount in lines
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
    def _target(cls, user=None, as_user=None, **vals):
        """A target of ``user`` (the hunter), set by ``as_user`` (the Sales Director)."""
        Target = cls.env["sales.target"].with_user(as_user or cls.manager)
        return Target.create(
            {
                "user_id": (user or cls.hunter).id,
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
                "amount": 1000.0,
                **vals,
            }
        ).with_env(cls.env)
