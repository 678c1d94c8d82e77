from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, fields, models
from odoo.tools import SQL, format_amount, str2bool

from .res_partner import LIFECYCLE_STATES


class SalesHandover(models.Model):
    """One actual change of a client's owner or lifecycle state.

    Written by the system only (the handover engine and the manual handover
    wizard, as superuser); everybody else reads it.
    """

    _name = "sales.handover"
    _description = "Client Handover"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, ondelete="cascade", readonly=True
    )
    from_user_id = fields.Many2one(
        "res.users", string="Previous Owner", readonly=True, index="btree_not_null"
    )
    to_user_id = fields.Many2one("res.users", string="New Owner", readonly=True, index="btree_not_null")
    rule_id = fields.Many2one(
        "sales.handover.rule", readonly=True, index="btree_not_null", ondelete="set null"
    )
    from_state = fields.Selection(LIFECYCLE_STATES, string="Previous State", readonly=True)
    to_state = fields.Selection(LIFECYCLE_STATES, string="New State", readonly=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    trigger = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")], required=True, default="auto", readonly=True
    )
    order_count = fields.Integer(
        string="Confirmed Orders",
        readonly=True,
        help="Confirmed orders of the client when it was handed over.",
    )
    sales_total = fields.Monetary(
        readonly=True,
        currency_field="currency_id",
        help="Untaxed total of the client's confirmed orders, in the company currency, "
        "when it was handed over.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    reason = fields.Text(readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda self: self.env.company
    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _apply_moves(self, moves, trigger="auto", reason=None):
        """Carry out planned handovers (see ``sales.handover.rule``'s ``Move``).

        Each client is locked and re-checked first: one that changed state or
        owner since it was planned, or that another transaction holds, is left
        alone (a user's edit wins over the plan). Writes owner, sales team,
        lifecycle state and date on the client and its contacts, logs one
        handover each, posts on the client's chatter and schedules a to-do for
        the new owner.

        :param list moves: the planned moves
        :param str trigger: ``auto`` or ``manual``
        :param str reason: the reason of a manual handover
        :return: the moves actually applied
        """
        if not moves:
            return []
        Partner = self.env["res.partner"].sudo()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id, user_id, sales_lifecycle_state, handover_blocked
                  FROM res_partner
                 WHERE id = ANY(%s)
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                [move.client_id for move in moves],
            )
        )
        current = {
            client_id: (user_id or False, state, blocked)
            for client_id, user_id, state, blocked in self.env.cr.fetchall()
        }
        Partner.invalidate_model(["user_id", "sales_lifecycle_state", "handover_blocked"])
        moves = [
            move
            for move in moves
            if move.client_id in current
            and current[move.client_id][:2] == (move.from_user_id or False, move.from_state)
            and (trigger == "manual" or not current[move.client_id][2])
        ]
        if not moves:
            return []

        now = fields.Datetime.now()
        quiet = Partner.with_context(tracking_disable=True, mail_auto_subscribe_no_notify=True)
        groups = defaultdict(list)
        for move in moves:
            groups[(move.to_user_id, move.to_state, move.team_id)].append(move.client_id)
        for (user_id, state, team_id), client_ids in groups.items():
            vals = {"user_id": user_id, "team_id": team_id} if team_id else {"user_id": user_id}
            clients = quiet.browse(client_ids)
            clients.write({**vals, "sales_lifecycle_state": state, "handover_date": now})
            contacts = quiet.with_context(active_test=False).search(
                [("commercial_partner_id", "in", client_ids), ("id", "not in", client_ids)]
            )
            contacts.write(vals)

        # The new owner follows the client; the previous one stays a follower.
        followers = defaultdict(list)
        for move in moves:
            for user_id in {move.to_user_id, move.from_user_id} - {False, None}:
                followers[user_id].append(move.client_id)
        users = self.env["res.users"].sudo().browse(followers)
        for user in users:
            quiet.browse(followers[user.id]).message_subscribe(partner_ids=user.partner_id.ids)

        handovers = self.sudo().create(
            [
                {
                    "partner_id": move.client_id,
                    "from_user_id": move.from_user_id,
                    "to_user_id": move.to_user_id,
                    "rule_id": move.rule_id,
                    "from_state": move.from_state,
                    "to_state": move.to_state,
                    "date": now,
                    "trigger": trigger,
                    "order_count": move.order_count,
                    "sales_total": move.sales_total,
                    "reason": reason or False,
                    "company_id": move.company_id,
                }
                for move in moves
            ]
        )
        handovers._post_messages()
        handovers._schedule_owner_activities()
        return moves

    def _describe_move(self):
        """The chatter text of a handover, in the language of the reader's env."""
        self.ensure_one()
        figures = _(
            "Confirmed orders: %(count)s, sales total: %(total)s.",
            count=self.order_count,
            total=format_amount(self.env, self.sales_total, self.currency_id),
        )
        if self.rule_id:
            why = _(
                "Handover rule “%(rule)s”: %(conditions)s.",
                rule=self.rule_id.name,
                conditions="; ".join(self.rule_id.condition_ids.mapped("description")),
            )
        else:
            why = _("Manual handover by %(user)s: %(reason)s", user=self.create_uid.name, reason=self.reason)
        owner = (
            _(
                "Owner: %(old)s → %(new)s.",
                old=self.from_user_id.name or _("nobody"),
                new=self.to_user_id.name,
            )
            if self.from_user_id != self.to_user_id
            else _("Owner kept: %(user)s.", user=self.to_user_id.name or _("nobody"))
        )
        lifecycle = _(
            "Lifecycle: %(old)s → %(new)s.",
            old=self._state_label(self.from_state),
            new=self._state_label(self.to_state),
        )
        return Markup("<p><b>%s</b></p><ul><li>%s</li><li>%s</li><li>%s</li></ul>") % (
            why,
            owner,
            lifecycle,
            figures,
        )

    def _state_label(self, state):
        return dict(self._fields["to_state"]._description_selection(self.env)).get(state, "")

    def _in_owner_lang(self):
        # The new owner is the first reader of the message and the to-do.
        return self.with_context(lang=self.to_user_id.lang or self.env.lang)

    def _post_messages(self):
        bodies = {handover.partner_id.id: handover._in_owner_lang()._describe_move() for handover in self}
        self.partner_id.sudo()._message_log_batch(bodies=bodies)

    def _schedule_owner_activities(self):
        """A to-do for each new owner, unless switched off in the settings."""
        params = self.env["ir.config_parameter"].sudo()
        if not str2bool(params.get_param("sales_roles.handover_activity", "True"), default=True):
            return
        days = int(params.get_param("sales_roles.handover_activity_days", 3) or 0)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": handover.partner_id.id,
                "activity_type_id": todo.id if todo else False,
                "user_id": handover.to_user_id.id,
                "summary": (
                    _("Client handed over to you")
                    if handover.to_user_id != handover.from_user_id
                    else _("Client is now: %(state)s", state=handover._state_label(handover.to_state))
                ),
                "note": handover._in_owner_lang()._describe_move(),
                "date_deadline": fields.Date.context_today(self) + timedelta(days=days),
            }
            for handover in self
            if handover.to_user_id
        ]
        if vals_list:
            # One create for the batch, without an e-mail per activity.
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
