from datetime import timedelta

from odoo import _, api, fields, models

from ..models.sales_target_task import TASK_KINDS


class SalesTargetTaskWizard(models.TransientModel):
    """Schedule Tasks: from a target, one activity for its salesperson on each
    client to win back or to cross-sell to (see sales.target.task)."""

    _name = "sales.target.task.wizard"
    _description = "Schedule Tasks from a Target"

    target_id = fields.Many2one("sales.target", required=True, readonly=True, ondelete="cascade")
    user_id = fields.Many2one(related="target_id.user_id")
    kind = fields.Selection(
        TASK_KINDS,
        string="Clients",
        required=True,
        default="cross_sell",
        help="Win back: the salesperson's clients that bought in the target's scope before, but "
        "not in the last months. Cross-sell: those that never bought in it.",
    )
    months = fields.Integer(
        string="Without Purchase For",
        default=6,
        help="Months without a purchase in the scope after which a client is to win back.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Clients to Call",
        compute="_compute_partner_ids",
        store=True,
        readonly=False,
        # As the user: only who may read the target lists its salesperson's clients.
        compute_sudo=False,
        help="The salesperson's clients found for the target; remove those to leave alone.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity",
        required=True,
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    summary = fields.Char(compute="_compute_summary", store=True, readonly=False, required=True)
    note = fields.Html(sanitize=True)
    date_deadline = fields.Date(
        string="Due Date",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
    )

    @api.depends("target_id", "kind", "months")
    def _compute_partner_ids(self):
        Task = self.env["sales.target.task"]
        for wizard in self:
            if wizard.target_id and (wizard.kind == "cross_sell" or wizard.months >= 1):
                wizard.partner_ids = Task._find_clients(wizard.target_id._origin, wizard.kind, wizard.months)
            else:
                wizard.partner_ids = False

    @api.depends("target_id", "kind")
    def _compute_summary(self):
        for wizard in self:
            scope = wizard.target_id._scope_label() if wizard.target_id else ""
            if wizard.kind == "lapsed":
                wizard.summary = _("Win back: %(scope)s", scope=scope)
            else:
                wizard.summary = _("Cross-sell: %(scope)s", scope=scope)

    def action_schedule(self):
        self.ensure_one()
        tasks = self.env["sales.target.task"]._schedule(
            self.target_id,
            self.partner_ids,
            self.kind,
            self.activity_type_id,
            self.summary,
            self.date_deadline,
            note=self.note,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s task(s) scheduled for %(user)s.",
                    count=len(tasks),
                    user=self.target_id.user_id.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
