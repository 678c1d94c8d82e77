import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import SQL, format_amount, str2bool

from ..tools.bulk import copy_records
from .res_partner import LIFECYCLE_STATES

_logger = logging.getLogger(__name__)

# The to-do of the new owner is due this many days after the handover, unless
# the settings say otherwise (res.config.settings keeps it within these bounds).
DEFAULT_ACTIVITY_DAYS = 3
MAX_ACTIVITY_DAYS = 365


class SalesHandover(models.Model):
    """One actual change of a client's owner or lifecycle state.

    Written by the system only (the handover engine and the manual handover
    wizard, as superuser); everybody else reads it.
    """

    _name = "sales.handover"
    _description = "Client Handover"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    # The audit trail outlives nothing it names: clients, owners and rules with
    # handovers are archived, not deleted (see their ondelete guards).
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, ondelete="restrict", readonly=True
    )
    from_user_id = fields.Many2one(
        "res.users", string="Previous Owner", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    to_user_id = fields.Many2one(
        "res.users", string="New Owner", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    rule_id = fields.Many2one(
        "sales.handover.rule", readonly=True, index="btree_not_null", ondelete="restrict"
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
        self._write_clients(moves, now)
        self._follow_clients(moves)
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
        bodies = handovers._describe_moves()
        handovers._post_messages(bodies)
        handovers._schedule_owner_activities(bodies)
        return moves

    def _write_clients(self, moves, now):
        """Owner, state, team and date on the clients, then on all their contacts.

        Through the ORM, one write per (owner, state, team): the partners'
        business logic runs. Odoo's commercial sync copies state, team and date
        to the active contacts; the owner is not a commercial field, and archived
        contacts are not synced: one more write per group covers both.
        """
        Partner = (
            self.env["res.partner"]
            .sudo()
            .with_context(tracking_disable=True, mail_auto_subscribe_no_notify=True)
        )
        groups = defaultdict(list)
        for move in moves:
            groups[(move.to_user_id, move.to_state, move.team_id)].append(move.client_id)
        client_ids = [move.client_id for move in moves]
        contacts = Partner.with_context(active_test=False).search(
            [("commercial_partner_id", "in", client_ids), ("id", "not in", client_ids)]
        )
        contacts_of = defaultdict(list)
        for contact in contacts:
            contacts_of[contact.commercial_partner_id.id].append(contact.id)
        # The commercial sync writes the contacts of each client one client at a
        # time, reading their own contacts and users: read them all at once.
        contacts.mapped("child_ids")
        contacts.mapped("user_ids")
        for (user_id, state, team_id), ids in groups.items():
            vals = {"user_id": user_id, "sales_lifecycle_state": state, "handover_date": now}
            if team_id:
                vals["team_id"] = team_id
            Partner.browse(ids).write(vals)
            contact_ids = [contact_id for client_id in ids for contact_id in contacts_of[client_id]]
            if contact_ids:
                Partner.browse(contact_ids).write(vals)

    def _follow_clients(self, moves):
        """The new owner follows the client; the previous one stays a follower."""
        Partner = self.env["res.partner"].sudo().with_context(mail_auto_subscribe_no_notify=True)
        followers = defaultdict(list)
        for move in moves:
            for user_id in {move.to_user_id, move.from_user_id} - {False, None}:
                followers[user_id].append(move.client_id)
        for user in self.env["res.users"].sudo().browse(followers):
            Partner.browse(followers[user.id]).message_subscribe(partner_ids=user.partner_id.ids)

    def _describe_moves(self):
        """The chatter text of each handover, in the language of its new owner
        (its first reader), else of the env.

        The parts shared by many handovers (the rule and its conditions, the
        owners, the states) are translated once per language.

        :return: dict handover id -> Markup
        """
        cache = {}

        def once(key, compute):
            if key not in cache:
                cache[key] = compute()
            return cache[key]

        bodies = {}
        for handover in self:
            env = handover._in_owner_lang().env
            lang = env.lang
            rule = handover.rule_id
            if rule:
                why = once(
                    ("rule", lang, rule.id),
                    lambda env=env, rule=rule: env._(
                        "Handover rule “%(rule)s”: %(conditions)s.",
                        rule=rule.with_env(env).name,
                        conditions="; ".join(rule.condition_ids.with_env(env).mapped("description")),
                    ),
                )
            else:
                why = env._(
                    "Manual handover by %(user)s: %(reason)s",
                    user=handover.create_uid.name,
                    reason=handover.reason,
                )
            old, new = handover.from_user_id, handover.to_user_id
            owner = once(
                ("owner", lang, old.id, new.id),
                lambda env=env, old=old, new=new: (
                    env._("Owner: %(old)s → %(new)s.", old=old.name or env._("nobody"), new=new.name)
                    if old != new
                    else env._("Owner kept: %(user)s.", user=new.name or env._("nobody"))
                ),
            )
            lifecycle = once(
                ("states", lang, handover.from_state, handover.to_state),
                lambda env=env, handover=handover: env._(
                    "Lifecycle: %(old)s → %(new)s.",
                    old=handover.with_env(env)._state_label(handover.from_state),
                    new=handover.with_env(env)._state_label(handover.to_state),
                ),
            )
            figures = env._(
                "Confirmed orders: %(count)s, sales total: %(total)s.",
                count=handover.order_count,
                total=format_amount(env, handover.sales_total, handover.currency_id),
            )
            bodies[handover.id] = Markup("<p><b>%s</b></p><ul><li>%s</li><li>%s</li><li>%s</li></ul>") % (
                why,
                owner,
                lifecycle,
                figures,
            )
        return bodies

    def _state_label(self, state):
        return dict(self._fields["to_state"]._description_selection(self.env)).get(state, "")

    def _in_owner_lang(self):
        # The new owner is the first reader of the message and the to-do.
        return self.with_context(lang=self.to_user_id.lang or self.env.lang)

    def _post_messages(self, bodies):
        """A note on each client's chatter, saying why it was handed over.

        :param dict bodies: handover id -> the note (see _describe_moves)
        """
        if not self:
            return
        first, others = self[0], self[1:]
        # Odoo's own quiet bulk logging for the first, copies of it for the others.
        message = first.partner_id.sudo()._message_log_batch(bodies={first.partner_id.id: bodies[first.id]})
        if others:
            copy_records(
                message,
                {"res_id": [h.partner_id.id for h in others], "body": [str(bodies[h.id]) for h in others]},
            )
        self.partner_id.invalidate_recordset(["message_ids"])

    def _schedule_owner_activities(self, bodies):
        """A to-do for each new owner, unless switched off in the settings.

        :param dict bodies: handover id -> the to-do's note (see _describe_moves)
        """
        params = self.env["ir.config_parameter"].sudo()
        if not str2bool(params.get_param("sales_roles.handover_activity", "True"), default=True):
            return
        handovers = self.filtered("to_user_id")
        if not handovers:
            return
        deadline = fields.Date.context_today(self) + timedelta(days=self._activity_days())
        summaries, summary_of = {}, {}
        for handover in handovers:
            owner = handover._in_owner_lang()
            kept = handover.to_user_id == handover.from_user_id
            key = (owner.env.lang, kept, handover.to_state)
            if key not in summaries:
                summaries[key] = (
                    owner.env._("Client is now: %(state)s", state=owner._state_label(handover.to_state))
                    if kept
                    else owner.env._("Client handed over to you")
                )
            summary_of[handover.id] = summaries[key]
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        first, others = handovers[0], handovers[1:]
        # The first through the ORM, without an e-mail; copies of it for the others.
        # The owners already follow their clients (_follow_clients).
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        activity = Activity.create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": first.partner_id.id,
                "activity_type_id": todo.id if todo else False,
                "user_id": first.to_user_id.id,
                "summary": summary_of[first.id],
                "note": bodies[first.id],
                "date_deadline": deadline,
            }
        )
        if others:
            copy_records(
                activity,
                {
                    "res_id": [h.partner_id.id for h in others],
                    "user_id": [h.to_user_id.id for h in others],
                    "summary": [summary_of[h.id] for h in others],
                    "note": [str(bodies[h.id]) for h in others],
                },
            )
            if deadline <= fields.Date.context_today(self):
                # As Odoo does for an activity due today: refresh the owners' counters.
                others.to_user_id._bus_send("mail.activity/updated", {"activity_created": True})
        handovers.partner_id.invalidate_recordset(["activity_ids"])

    def _activity_days(self):
        """Days until the new owner's to-do is due, read defensively: a value
        mistyped in the system parameters must not stop the handovers."""
        value = self.env["ir.config_parameter"].sudo().get_param("sales_roles.handover_activity_days")
        try:
            days = int(value or DEFAULT_ACTIVITY_DAYS)
        except ValueError:
            _logger.warning(
                "System parameter sales_roles.handover_activity_days = %r is not a number of days: %s used",
                value,
                DEFAULT_ACTIVITY_DAYS,
            )
            return DEFAULT_ACTIVITY_DAYS
        return min(max(days, 0), MAX_ACTIVITY_DAYS)
