import threading

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_partner import LIFECYCLE_STATES

# Commercial partners: the clients themselves, not their contacts.
CLIENTS_DOMAIN = ["|", ("is_company", "=", True), ("parent_id", "=", False)]

# A prospect is not a client yet: following it up is the work of leads and
# opportunities (CRM), not of a service standard.
SERVICE_LIFECYCLE_STATES = [state for state in LIFECYCLE_STATES if state[0] != "prospect"]


class SalesServiceStandard(models.Model):
    """How often the owner must be in touch with the clients of a lifecycle state.

    A client follows the first matching active standard of its company by
    sequence; the daily job (``_cron_service_standards``, see
    ``sales.service.engine``) keeps the clients' touch dates and service status
    up to date and schedules the touchpoints.
    """

    _name = "sales.service.standard"
    _inherit = ["sales.service.engine"]
    _description = "Service Standard"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Text(
        translate=True,
        help="The standard in plain words, as it is announced to the account managers.",
    )
    sequence = fields.Integer(
        default=10, help="A client follows the first matching active standard of its company."
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    lifecycle_state = fields.Selection(
        SERVICE_LIFECYCLE_STATES,
        required=True,
        default="regular",
        help="The standard applies to the clients in this lifecycle state.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        "sales_service_standard_team_rel",
        "standard_id",
        "team_id",
        string="Only Clients of Teams",
        check_company=True,
        help="Leave empty to apply the standard to the clients of every sales team.",
    )
    contact_interval_days = fields.Integer(
        string="Touch Every (Days)",
        required=True,
        default=30,
        help="The longest time between two touches of a client: a confirmed order, an "
        "activity marked done, a message or an e-mail from an internal user.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Touchpoint Activity",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
        domain="[('res_model', 'in', (False, 'res.partner'))]",
        help="The activity scheduled for the client's owner when a touch falls due.",
    )
    lead_days = fields.Integer(
        string="Schedule Days Ahead",
        required=True,
        default=3,
        help="A client is due (and its touchpoint is scheduled) this many days before its next touch date.",
    )
    client_count = fields.Integer(compute="_compute_client_counts", string="Clients")
    overdue_count = fields.Integer(compute="_compute_client_counts", string="Overdue Clients")

    _sql_constraints = [
        (
            "contact_interval_days_positive",
            "CHECK (contact_interval_days > 0)",
            "The time between two touches must be at least one day.",
        ),
        ("lead_days_positive", "CHECK (lead_days >= 0)", "The days ahead cannot be negative."),
    ]

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_client_counts(self):
        # As the user: the clients their record rules let them read.
        groups = self.env["res.partner"]._read_group(
            [("service_standard_id", "in", self.ids)] + CLIENTS_DOMAIN,
            ["service_standard_id", "service_status"],
            ["__count"],
        )
        clients, overdue = {}, {}
        for standard, status, count in groups:
            clients[standard] = clients.get(standard, 0) + count
            if status == "overdue":
                overdue[standard] = count
        for standard in self:
            standard.client_count = clients.get(standard, 0)
            standard.overdue_count = overdue.get(standard, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("contact_interval_days", "lead_days")
    def _check_days(self):
        for standard in self:
            if standard.contact_interval_days <= 0 or standard.lead_days < 0:
                raise ValidationError(
                    _(
                        "Service standard “%(standard)s”: touches are due every day at least, and the "
                        "touchpoint cannot be scheduled after its date (%(days)s days, %(lead)s days ahead).",
                        standard=standard.name,
                        days=standard.contact_interval_days,
                        lead=standard.lead_days,
                    )
                )
            if standard.lead_days >= standard.contact_interval_days:
                raise ValidationError(
                    _(
                        "Service standard “%(standard)s”: the touchpoint is scheduled %(lead)s days ahead, "
                        "but touches are due every %(days)s days; a client would never be OK. "
                        "Schedule it fewer days ahead.",
                        standard=standard.name,
                        lead=standard.lead_days,
                        days=standard.contact_interval_days,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        standards = super().create(vals_list)
        standards._trigger_service_run()
        return standards

    def write(self, vals):
        res = super().write(vals)
        if not vals.keys() <= {"name", "description"}:
            self._trigger_service_run()
        return res

    def unlink(self):
        res = super().unlink()
        self._trigger_service_run()
        return res

    @api.model
    def _trigger_service_run(self):
        """The clients' standards change with the standards: recompute them soon,
        in the background (every client of the company may be concerned)."""
        if self._service_enabled():
            self.env.ref("sales_roles.ir_cron_sales_service").sudo()._trigger()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_clients(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.res_partner_action_service")
        action["domain"] = [("service_standard_id", "=", self.id)] + CLIENTS_DOMAIN
        action["context"] = {"create": False}
        return action

    def action_view_overdue_clients(self):
        action = self.action_view_clients()
        action["context"]["search_default_service_overdue"] = 1
        return action

    # ------------------------------------------------------------
    # SCHEDULED ACTION
    # ------------------------------------------------------------

    @api.model
    def _cron_service_standards(self):
        """Daily: refresh every client's service figures, raise the at-risk
        clients and schedule the touchpoints that fell due."""
        return self.sudo()._run_service_standards(
            commit=not getattr(threading.current_thread(), "testing", False)
        )
