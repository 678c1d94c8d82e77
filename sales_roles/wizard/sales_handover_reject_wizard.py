from odoo import api, fields, models


class SalesHandoverRejectWizard(models.TransientModel):
    _name = "sales.handover.reject.wizard"
    _description = "Reject Handover Proposals"

    handover_ids = fields.Many2many(
        "sales.handover",
        string="Proposals",
        required=True,
        domain=[("state", "=", "proposed")],
    )
    reason = fields.Text(
        required=True,
        help="Why the clients stay where they are; it is posted on each client.",
    )
    cooldown_days = fields.Integer(compute="_compute_cooldown_days", string="Not Proposed Again For (Days)")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "handover_ids" in fields_list
            and not values.get("handover_ids")
            and context.get("active_model") == "sales.handover"
            and context.get("active_ids")
        ):
            values["handover_ids"] = [(6, 0, context["active_ids"])]
        return values

    def _compute_cooldown_days(self):
        days = self.env["sales.handover"]._cooldown_days()
        for wizard in self:
            wizard.cooldown_days = days

    def action_confirm(self):
        self.ensure_one()
        return self.handover_ids.action_reject(self.reason)
