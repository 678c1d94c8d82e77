from odoo import fields, models

from ..models.res_partner import LIFECYCLE_STATES


class SaleReport(models.Model):
    _inherit = "sale.report"

    # The matrix: salesperson x product manager x territory x lifecycle, all
    # read from the values stored on the lines and orders when they sold.
    product_manager_id = fields.Many2one("res.users", readonly=True)
    sales_territory_id = fields.Many2one("sales.territory", readonly=True)
    hunter_id = fields.Many2one("res.users", readonly=True)
    sales_lifecycle_state = fields.Selection(LIFECYCLE_STATES, string="Client Lifecycle State", readonly=True)

    def _select_additional_fields(self):
        res = super()._select_additional_fields()
        res["product_manager_id"] = "l.product_manager_id"
        res["sales_territory_id"] = "s.sales_territory_id"
        # Orders confirmed before the addon was installed carry no stamp (no
        # lifecycle state) until sale.order._cron_stamp_historical_orders credits
        # them to their hunter: meanwhile, the client's (contacts mirror it).
        res["hunter_id"] = (
            "COALESCE(s.hunter_id, CASE WHEN s.state = 'sale' AND s.sales_lifecycle_state IS NULL "
            "THEN partner.hunter_id END)"
        )
        res["sales_lifecycle_state"] = "s.sales_lifecycle_state"
        return res

    def _group_by_sale(self):
        res = super()._group_by_sale()
        res += """,
            l.product_manager_id,
            s.sales_territory_id,
            s.hunter_id,
            partner.hunter_id,
            s.sales_lifecycle_state"""
        return res
