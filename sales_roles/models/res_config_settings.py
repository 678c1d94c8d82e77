from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .sales_handover import MAX_ACTIVITY_DAYS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sales_roles_auto_handover = fields.Boolean(
        string="Automatic Handover",
        compute="_compute_sales_roles_auto_handover",
        inverse="_inverse_sales_roles_auto_handover",
        help="Every night, apply the active handover rules.",
    )
    sales_roles_handover_activity = fields.Boolean(
        string="To-Do for the New Owner",
        config_parameter="sales_roles.handover_activity",
        help="Schedule a to-do activity for the new owner of each handed-over client.",
    )
    sales_roles_handover_activity_days = fields.Integer(
        string="To-Do Due in (Days)",
        config_parameter="sales_roles.handover_activity_days",
        help="Days between the handover and the to-do's deadline.",
    )

    @api.constrains("sales_roles_handover_activity_days")
    def _check_sales_roles_handover_activity_days(self):
        for settings in self:
            if not 0 <= settings.sales_roles_handover_activity_days <= MAX_ACTIVITY_DAYS:
                raise ValidationError(
                    _(
                        "The new owner's to-do is due between 0 and %(max)s days after the handover; "
                        "%(days)s is out of range.",
                        max=MAX_ACTIVITY_DAYS,
                        days=settings.sales_roles_handover_activity_days,
                    )
                )

    def _handover_cron(self):
        return self.env.ref("sales_roles.ir_cron_sales_handover", raise_if_not_found=False)

    @api.depends("company_id")
    def _compute_sales_roles_auto_handover(self):
        cron = self._handover_cron()
        for settings in self:
            settings.sales_roles_auto_handover = bool(cron and cron.sudo().active)

    def _inverse_sales_roles_auto_handover(self):
        cron = self._handover_cron()
        for settings in self:
            if cron and cron.sudo().active != settings.sales_roles_auto_handover:
                cron.sudo().active = settings.sales_roles_auto_handover
