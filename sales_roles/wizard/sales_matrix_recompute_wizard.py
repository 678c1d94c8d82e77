from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SalesMatrixRecomputeWizard(models.TransientModel):
    _name = "sales.matrix.recompute.wizard"
    _description = "Recompute the Sales Matrix of a Period"

    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    update_territories = fields.Boolean(
        string="Also Re-stamp Territories",
        help="Also credit the orders to their clients' current territories.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        # From the orders' action menu: the period the selected orders span.
        if (
            "date_from" in fields_list
            and context.get("active_model") == "sale.order"
            and context.get("active_ids")
        ):
            orders = self.env["sale.order"].browse(context["active_ids"])
            days = [fields.Date.context_today(self, order.date_order) for order in orders]
            values.update(date_from=min(days), date_to=max(days))
        return values

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    _(
                        "The period must not end (%(date_to)s) before it starts (%(date_from)s).",
                        date_from=wizard.date_from,
                        date_to=wizard.date_to,
                    )
                )

    def action_recompute(self):
        """Re-credit the confirmed orders of the period to today's organisation."""
        self.ensure_one()
        orders = self.env["sale.order"].search(
            [
                ("state", "=", "sale"),
                ("date_order", ">=", self._utc(self.date_from)),
                ("date_order", "<", self._utc(self.date_to + timedelta(days=1))),
            ]
        )
        lines = orders.order_line.filtered(lambda line: not line.display_type)._update_product_manager()
        message = _("%(count)s order line(s) credited to a new product manager.", count=len(lines))
        if self.update_territories:
            moved = orders.filtered(
                lambda o: o.sales_territory_id != o.partner_id.commercial_partner_id.sales_territory_id
            )
            moved._stamp_sales_territory()
            message += " " + _("%(count)s order(s) moved to another territory.", count=len(moved))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _utc(self, day):
        """Midnight of the day in the user's timezone, as a naive UTC datetime (how date_order is stored)."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
