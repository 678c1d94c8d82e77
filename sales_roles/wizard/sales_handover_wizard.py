from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..models.res_partner import LIFECYCLE_STATES
from ..models.sales_handover_engine import Move


class SalesHandoverWizard(models.TransientModel):
    _name = "sales.handover.wizard"
    _description = "Hand Clients Over"

    partner_ids = fields.Many2many("res.partner", string="Clients", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="New Owner",
        required=True,
        domain="[('share', '=', False)]",
        help="The salesperson who takes the clients over.",
    )
    to_state = fields.Selection(
        LIFECYCLE_STATES,
        string="New Lifecycle State",
        help="Leave empty to keep each client's lifecycle state.",
    )
    reason = fields.Text(
        required=True, help="Why the clients change hands; it is logged and posted on each client."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "partner_ids" in fields_list
            and context.get("active_model") == "res.partner"
            and context.get("active_ids")
        ):
            partners = self.env["res.partner"].browse(context["active_ids"])
            values["partner_ids"] = [(6, 0, partners.commercial_partner_id.ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        clients = self.partner_ids.commercial_partner_id
        self._check_can_hand_over(clients)
        if not self.reason or not self.reason.strip():
            raise UserError(_("Say why the clients are handed over."))
        figures = self._measure(clients)
        moves = [
            Move(
                client_id=client.id,
                rule_id=False,
                from_user_id=client.user_id.id,
                to_user_id=self.user_id.id,
                from_state=client.sales_lifecycle_state,
                to_state=self.to_state or client.sales_lifecycle_state,
                team_id=False,
                order_count=figures.get(client.id, (0, 0.0))[0],
                sales_total=figures.get(client.id, (0, 0.0))[1],
                company_id=(client.company_id or self.env.company).id,
            )
            for client in clients
            if client.user_id != self.user_id
            or (self.to_state and self.to_state != client.sales_lifecycle_state)
        ]
        if not moves:
            raise UserError(
                _(
                    "Nothing to hand over: the clients already belong to %(user)s in that state.",
                    user=self.user_id.name,
                )
            )
        applied = self.env["sales.handover"]._apply_moves(moves, trigger="manual", reason=self.reason.strip())
        skipped = len(moves) - len(applied)
        message = _(
            "%(count)s client(s) handed over to %(user)s.", count=len(applied), user=self.user_id.name
        )
        if skipped:
            message += " " + _(
                "%(count)s client(s) were being edited by someone else: try again.", count=skipped
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if skipped else "success",
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_can_hand_over(self, clients):
        """ "Own documents" salespeople hand over their own clients, "all documents"
        users any; only Sales Administrators hand clients to themselves or change
        their lifecycle state. The new owner is an active internal user of each
        client's company (of the current company for a client shared by all)."""
        user = self.env.user
        if not user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(_("Only salespeople can hand clients over."))
        if not user.has_group("sales_team.group_sale_manager"):
            if self.user_id == user:
                raise AccessError(
                    _("You cannot hand clients over to yourself: ask a Sales Administrator to do it.")
                )
            if self.to_state and any(client.sales_lifecycle_state != self.to_state for client in clients):
                raise AccessError(
                    _("Only Sales Administrators can change the lifecycle state of clients by hand.")
                )
            if not user.has_group("sales_team.group_sale_salesman_all_leads"):
                foreign = clients.filtered(lambda c: c.user_id != user)
                if foreign:
                    raise AccessError(
                        _(
                            "You can only hand over your own clients; these belong to someone else: "
                            "%(clients)s.",
                            clients=", ".join(foreign.mapped("display_name")[:10]),
                        )
                    )
        # sudo: all the new owner's companies, not only those the current user works in.
        owner = self.user_id.sudo()
        if not owner.active or owner.share:
            raise UserError(
                _("%(user)s is not an active internal user: choose another new owner.", user=owner.name)
            )
        outside = clients.filtered(lambda c: (c.company_id or self.env.company) not in owner.company_ids)
        if outside:
            raise UserError(
                _(
                    "%(user)s does not work for the company of %(clients)s: choose a new owner of "
                    "%(company)s.",
                    user=owner.name,
                    clients=", ".join(outside.mapped("display_name")[:10]),
                    company=(outside[0].company_id or self.env.company).name,
                )
            )

    def _measure(self, clients):
        """client id -> (confirmed orders, untaxed total in company currency), one query."""
        self.env.cr.execute(
            SQL(
                "SELECT o.client_id, COUNT(*), SUM(o.amount) FROM (%s) o GROUP BY o.client_id",
                self.env["sale.order"]._confirmed_orders_sql(
                    company_ids=self.env.companies.ids, client_ids=clients.ids
                ),
            )
        )
        return {client_id: (count, float(total or 0.0)) for client_id, count, total in self.env.cr.fetchall()}
