from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .sales_handover import MAX_ACTIVITY_DAYS, MAX_COOLDOWN_DAYS, MAX_EXPIRY_DAYS
from .sales_service_engine import DEFAULT_AT_RISK_FACTOR, DEFAULT_LOOKBACK_MONTHS, MAX_LOOKBACK_MONTHS

# Beyond this, a client would be "at risk" only long after it counts as dormant.
MAX_AT_RISK_FACTOR = 10.0


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

    sales_roles_proposal_cooldown_days = fields.Integer(
        string="Rejected Clients Not Proposed Again For (Days)",
        config_parameter="sales_roles.proposal_cooldown_days",
        default=30,
        help="After a proposal is rejected, its rule does not propose the client again for this many days.",
    )
    sales_roles_proposal_expiry_days = fields.Integer(
        string="Proposals Expire After (Days)",
        config_parameter="sales_roles.proposal_expiry_days",
        default=14,
        help="Proposals nobody decided on for this many days are cancelled by the nightly run, which "
        "proposes again the clients that still match, with their current figures.",
    )

    sales_roles_service_standards = fields.Boolean(
        string="Service Standards",
        compute="_compute_sales_roles_service_standards",
        inverse="_inverse_sales_roles_service_standards",
        help="Every day, refresh the clients' touches and service status, schedule the touchpoints "
        "and flag the clients at risk.",
    )
    sales_roles_at_risk_factor = fields.Float(
        string="At-Risk Factor",
        digits=(16, 1),
        default=DEFAULT_AT_RISK_FACTOR,
        config_parameter="sales_roles.at_risk_factor",
        help="A regular client or key account is at risk when its days since its last order exceed "
        "this many times its purchase rhythm (e.g. 2: a client ordering every 12 days is at risk "
        "after 24 days without an order).",
    )
    sales_roles_service_lookback_months = fields.Integer(
        string="Purchase Rhythm Over (Months)",
        default=DEFAULT_LOOKBACK_MONTHS,
        config_parameter="sales_roles.service_lookback_months",
        help="The purchase rhythm is the median time between the client's orders of these last months.",
    )

    @api.constrains("sales_roles_proposal_cooldown_days", "sales_roles_proposal_expiry_days")
    def _check_sales_roles_proposal_days(self):
        for settings in self:
            if not 0 <= settings.sales_roles_proposal_cooldown_days <= MAX_COOLDOWN_DAYS:
                raise ValidationError(
                    _(
                        "A rejected client is not proposed again for 0 to %(max)s days; %(days)s is out of "
                        "range.",
                        max=MAX_COOLDOWN_DAYS,
                        days=settings.sales_roles_proposal_cooldown_days,
                    )
                )
            if not 1 <= settings.sales_roles_proposal_expiry_days <= MAX_EXPIRY_DAYS:
                raise ValidationError(
                    _(
                        "Proposals expire after 1 to %(max)s days; %(days)s is out of range.",
                        max=MAX_EXPIRY_DAYS,
                        days=settings.sales_roles_proposal_expiry_days,
                    )
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

    @api.constrains("sales_roles_at_risk_factor")
    def _check_sales_roles_at_risk_factor(self):
        for settings in self:
            if not 1 < settings.sales_roles_at_risk_factor <= MAX_AT_RISK_FACTOR:
                raise ValidationError(
                    _(
                        "The at-risk factor must be above 1 and at most %(max)s (a client ordering at its "
                        "usual rhythm is not at risk); %(factor)s is out of range.",
                        max=MAX_AT_RISK_FACTOR,
                        factor=settings.sales_roles_at_risk_factor,
                    )
                )

    @api.constrains("sales_roles_service_lookback_months")
    def _check_sales_roles_service_lookback_months(self):
        for settings in self:
            if not 1 <= settings.sales_roles_service_lookback_months <= MAX_LOOKBACK_MONTHS:
                raise ValidationError(
                    _(
                        "The purchase rhythm is measured over 1 to %(max)s months; %(months)s is out of range.",
                        max=MAX_LOOKBACK_MONTHS,
                        months=settings.sales_roles_service_lookback_months,
                    )
                )

    def set_values(self):
        Engine = self.env["sales.service.engine"]
        before = Engine._service_settings()
        res = super().set_values()
        if Engine._service_settings() != before and Engine._service_enabled():
            # Every client's rhythm and at-risk flag change: recompute them soon.
            self._service_cron().sudo()._trigger()
        return res

    def _service_cron(self):
        return self.env.ref("sales_roles.ir_cron_sales_service", raise_if_not_found=False)

    @api.depends("company_id")
    def _compute_sales_roles_service_standards(self):
        cron = self._service_cron()
        for settings in self:
            settings.sales_roles_service_standards = bool(cron and cron.sudo().active)

    def _inverse_sales_roles_service_standards(self):
        cron = self._service_cron()
        for settings in self:
            if cron and cron.sudo().active != settings.sales_roles_service_standards:
                cron.sudo().active = settings.sales_roles_service_standards
                if settings.sales_roles_service_standards:
                    cron.sudo()._trigger()

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
