import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, str2bool

from ..tools.bulk import copy_records
from .res_partner import LIFECYCLE_STATES
from .sales_handover_engine import Move

_logger = logging.getLogger(__name__)

# The to-do of the new owner is due this many days after the handover, unless
# the settings say otherwise (res.config.settings keeps it within these bounds).
DEFAULT_ACTIVITY_DAYS = 3
MAX_ACTIVITY_DAYS = 365
# A rule does not propose again, for this many days, a client whose proposal was
# rejected; proposals left undecided this many days expire (settings, same bounds).
DEFAULT_COOLDOWN_DAYS = 30
MAX_COOLDOWN_DAYS = 3650
DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 365

HANDOVER_STATES = [
    ("proposed", "Proposed"),
    ("done", "Done"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]


class SalesHandover(models.Model):
    """One actual change of a client's owner or lifecycle state (``done``), or a
    change a rule proposes and its approver decides on (``proposed``, then
    ``done``, ``rejected`` or ``cancelled``).

    Written by the system (the handover engine and the manual handover wizard,
    as superuser); everybody else reads it, but for the new owner of a pending
    proposal, which those who decide on it may change (see ``write``).
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
        "res.users",
        string="New Owner",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Who owns the client after the handover. While the handover is proposed, the approver "
        "of its rule may choose someone else.",
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
    # Logs made before proposals existed are actual changes: the column's default
    # makes them done when the column is added.
    state = fields.Selection(
        HANDOVER_STATES,
        string="Status",
        required=True,
        default="done",
        readonly=True,
        help="Proposed: a rule that asks for approval matched the client, which waits for the "
        "approver's decision. Done: the client changed hands. Rejected by the approver. "
        "Cancelled: the client changed since it was proposed, or the proposal expired.",
    )
    decided_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Who approved or rejected the proposal.",
    )
    decided_date = fields.Datetime(string="Decided On", readonly=True)
    can_decide = fields.Boolean(
        compute="_compute_can_decide",
        help="The proposal is pending and the current user may approve or reject it.",
    )

    @api.depends("state", "rule_id")
    @api.depends_context("uid")
    def _compute_can_decide(self):
        decides = {}
        for handover in self:
            rule = handover.rule_id
            if handover.state != "proposed" or not rule:
                handover.can_decide = False
                continue
            if rule not in decides:
                decides[rule] = self.env.su or rule._user_decides(self.env.user)
            handover.can_decide = decides[rule]

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def init(self):
        res = super().init()
        # One pending proposal per client: a client cannot wait for two decisions,
        # and the rules' candidate query finds the clients waiting on this index.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS sales_handover_pending_proposal_index "
                "ON sales_handover (partner_id) WHERE state = 'proposed'"
            )
        )
        return res

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        return super().write(vals)

    def _check_user_write(self, vals):
        """Users change nothing of the log but the new owner of pending proposals,
        and only those who decide on them; writing the value a field already has
        is not a change (re-importing an export)."""
        changed = [
            name
            for name, value in vals.items()
            if name in self._fields
            and any(
                self._fields[name].convert_to_cache(value, handover, validate=False)
                != self._fields[name].convert_to_cache(handover[name], handover, validate=False)
                for handover in self
            )
        ]
        forbidden = [name for name in changed if name != "to_user_id"]
        if forbidden:
            raise AccessError(
                _(
                    "The handover log is written by the system only: %(fields)s cannot be changed.",
                    fields=", ".join(
                        "“%s”" % self._fields[name]._description_string(self.env) for name in forbidden
                    ),
                )
            )
        if not changed:
            return
        decided = self.filtered(lambda handover: handover.state != "proposed")
        if decided:
            raise UserError(
                _(
                    "The new owner can be changed only while the handover is proposed; the handover "
                    "of %(client)s is %(state)s.",
                    client=decided[0].partner_id.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[decided[0].state],
                )
            )
        self._check_decider()
        self._check_new_owner(vals["to_user_id"])

    def _check_new_owner(self, user_id):
        """The new owner an approver chooses is an active internal user of each proposal's company."""
        # sudo: all the new owner's companies (the caller's decision is checked before).
        owner = self.env["res.users"].sudo().browse(user_id)
        if not owner or not owner.active or owner.share:
            raise UserError(
                _(
                    "%(user)s is not an active internal user: choose another new owner.",
                    user=owner.name or _("Nobody"),
                )
            )
        outside = self.filtered(lambda handover: handover.company_id not in owner.company_ids)
        if outside:
            raise UserError(
                _(
                    "%(user)s does not work for %(company)s, the company of %(client)s: choose another "
                    "new owner.",
                    user=owner.name,
                    company=outside[0].company_id.name,
                    client=outside[0].partner_id.display_name,
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        """Approve these proposed handovers: each is applied as the nightly run
        applies a handover (client locked and re-checked; owner, sales team,
        lifecycle state and contacts written; chatter note; to-do for the new
        owner), with its figures measured again now, and becomes ``done``. A
        proposal whose client changed owner or state since it was proposed (e.g.
        another handover moved it) is ``cancelled`` with the reason.

        Only the approver of each proposal's rule and Sales Administrators decide.
        """
        proposals = self._proposals_to_decide()
        outcome = proposals.sudo()._approve()
        return self._decision_notification(outcome, already_decided=len(self) - len(proposals))

    def action_reject(self, reason):
        """Reject these proposed handovers: the reason is posted on each client, and
        the same rule does not propose it again for ``sales_roles.proposal_cooldown_days``
        days. Only the approver of each proposal's rule and Sales Administrators decide.

        :param str reason: why, required
        """
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the handover is rejected: the reason is posted on the client."))
        proposals = self._proposals_to_decide()
        proposals.sudo()._reject(reason)
        return self._decision_notification(
            {"rejected": proposals}, already_decided=len(self) - len(proposals)
        )

    def action_open_reject_wizard(self):
        """Ask the reason of a rejection (the wizard calls ``action_reject``)."""
        self._proposals_to_decide()
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Handover Proposals"),
            "res_model": "sales.handover.reject.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_handover_ids": self.ids},
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS: RUNS
    # ------------------------------------------------------------

    def _carry_out(self, moves):
        """Carry out planned moves: apply those of rules that hand clients over at
        once, propose those of rules that ask for approval.

        :return: the moves applied or proposed
        """
        return self._apply_moves([move for move in moves if not move.propose]) + self._propose_moves(
            [move for move in moves if move.propose]
        )

    def _propose_moves(self, moves):
        """Queue moves for the approver of their rule: one proposed handover each,
        with the figures that triggered it. Nothing on the client changes.

        :return: the moves proposed
        """
        if moves:
            now = fields.Datetime.now()
            self.sudo().create(
                [dict(self._log_values(move, now, "auto"), state="proposed") for move in moves]
            )
        return moves

    def _apply_moves(self, moves, trigger="auto", reason=None):
        """Carry out planned handovers (see ``sales.handover.rule``'s ``Move``).

        Each client is locked and re-checked first: one that changed state or
        owner since it was planned, or that another transaction holds, is left
        alone (a user's edit wins over the plan). Writes owner, sales team,
        lifecycle state and date on the client and its contacts, logs one
        handover each (the move's proposal when it applies one), posts on the
        client's chatter and schedules a to-do for the new owner.

        :param list moves: the planned moves
        :param str trigger: ``auto`` or ``manual``
        :param str reason: the reason of a manual handover
        :return: the moves actually applied
        """
        applicable, _refused = self._lock_clients(moves, trigger)
        return self._apply_locked(applicable, trigger, reason)

    def _lock_clients(self, moves, trigger):
        """Lock the clients of ``moves`` and re-check them against the plan.

        :return: ``(moves that may be applied, {client id: why not})``, why being
            ``busy`` (another transaction holds the client), ``changed`` (owner
            or lifecycle state differ from the plan's) or ``blocked`` (excluded
            from automatic handovers)
        """
        if not moves:
            return [], {}
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
        applicable, refused = [], {}
        for move in moves:
            if move.client_id not in current:
                refused[move.client_id] = "busy"
            elif current[move.client_id][:2] != (move.from_user_id or False, move.from_state):
                refused[move.client_id] = "changed"
            elif trigger != "manual" and current[move.client_id][2]:
                refused[move.client_id] = "blocked"
            else:
                applicable.append(move)
        return applicable, refused

    def _apply_locked(self, moves, trigger, reason):
        """Apply moves whose clients ``_lock_clients`` locked and re-checked.

        :return: the moves applied
        """
        if not moves:
            return []
        now = fields.Datetime.now()
        self._write_clients(moves, now)
        self._follow_clients(moves)
        handovers = self._log_moves(moves, now, trigger, reason)
        bodies = handovers._describe_moves()
        handovers._post_messages(bodies)
        handovers._schedule_owner_activities(bodies)
        return moves

    def _log_values(self, move, now, trigger, reason=None):
        return {
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

    def _log_moves(self, moves, now, trigger, reason):
        """One done handover per applied move: its proposal, approved now, when it
        has one (one record per actual change), else a new record.

        :return: the done handovers, in the order of ``moves``
        """
        Handover = self.sudo()
        created = iter(
            Handover.create(
                [self._log_values(move, now, trigger, reason) for move in moves if not move.proposal_id]
            )
        )
        approved = Handover.browse([move.proposal_id for move in moves if move.proposal_id])
        if approved:
            approved.write({"state": "done", "date": now, "decided_by_id": self.env.uid, "decided_date": now})
            # The figures of the day the client changed hands; one UPDATE for all
            # of them when the cache is flushed.
            for move in moves:
                if move.proposal_id:
                    Handover.browse(move.proposal_id).write(
                        {"order_count": move.order_count, "sales_total": move.sales_total}
                    )
        return Handover.browse([move.proposal_id if move.proposal_id else next(created).id for move in moves])

    # ------------------------------------------------------------
    # BUSINESS METHODS: DECISIONS
    # ------------------------------------------------------------

    def _proposals_to_decide(self):
        """The pending proposals among these handovers, once checked that the
        current user reads them all and decides on each."""
        self.check_access("read")
        proposals = self.filtered(lambda handover: handover.state == "proposed")
        proposals._check_decider()
        return proposals

    def _check_decider(self):
        """Only the approver of the rule of each handover, and Sales Administrators
        of its company, decide on it."""
        if self.env.su:
            return
        user = self.env.user
        refused = self.filtered(lambda handover: not handover.rule_id.sudo()._user_decides(user))
        if refused:
            raise AccessError(
                _(
                    "Only the approver of the rule “%(rule)s” and Sales Administrators decide on its "
                    "handover proposals (%(client)s).",
                    rule=refused[0].rule_id.sudo().name or "",
                    client=refused[0].partner_id.display_name,
                )
            )

    def _approve(self):
        """Apply these proposals (as superuser, once the decision checked).

        :return: dict outcome -> handovers: ``approved``, ``cancelled`` (the client
            changed since), ``busy`` (another user holds the client: still
            proposed) and ``unfit`` (the new owner can no longer receive clients:
            still proposed, the approver chooses another one)
        """
        figures = self._measure_now()
        moves = [handover._as_move(figures) for handover in self]
        applicable, refused = self._lock_clients(moves, "auto")
        unfit_ids = {
            move.proposal_id
            for move in applicable
            if move.to_user_id != move.from_user_id
            and not self._may_receive(move.to_user_id, move.company_id)
        }
        applied = self._apply_locked(
            [move for move in applicable if move.proposal_id not in unfit_ids], "auto", None
        )
        by_reason = {"changed": [], "blocked": [], "busy": []}
        for move in moves:
            if move.client_id in refused:
                by_reason[refused[move.client_id]].append(move.proposal_id)
        cancelled = self.browse(by_reason["changed"] + by_reason["blocked"])
        cancelled._cancel_changed(blocked=self.browse(by_reason["blocked"]))
        self.rule_id._refresh_approver_activities()
        return {
            "approved": self.browse([move.proposal_id for move in applied]),
            "cancelled": cancelled,
            "busy": self.browse(by_reason["busy"]),
            "unfit": self.browse(list(unfit_ids)),
        }

    def _as_move(self, figures):
        """This proposal as the move that applies it, with the figures measured now."""
        self.ensure_one()
        order_count, sales_total = figures.get((self.partner_id.id, self.company_id.id), (0, 0.0))
        return Move(
            client_id=self.partner_id.id,
            rule_id=self.rule_id.id,
            from_user_id=self.from_user_id.id,
            to_user_id=self.to_user_id.id,
            from_state=self.from_state,
            to_state=self.to_state,
            team_id=self.rule_id.target_team_id.id,
            order_count=order_count,
            sales_total=self.company_id.currency_id.round(sales_total),
            company_id=self.company_id.id,
            proposal_id=self.id,
        )

    def _measure_now(self):
        """(client id, company id) -> (confirmed orders, untaxed total in the company
        currency) of these handovers' clients, in one query."""
        if not self:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT o.client_id, o.company_id, COUNT(*), SUM(o.amount)
                  FROM (%s) o
              GROUP BY o.client_id, o.company_id
                """,
                self.env["sale.order"]._confirmed_orders_sql(
                    company_ids=self.company_id.ids, client_ids=self.partner_id.ids
                ),
            )
        )
        return {
            (client_id, company_id): (count, float(total or 0.0))
            for client_id, company_id, count, total in self.env.cr.fetchall()
        }

    @api.model
    def _may_receive(self, user_id, company_id):
        user = self.env["res.users"].sudo().browse(user_id)
        return bool(user) and user.active and not user.share and company_id in user.company_ids.ids

    def _cancel_changed(self, blocked):
        """Cancel these proposals, whose client changed since they were proposed,
        saying how: handed over since (by which rule), excluded from automatic
        handovers, or another change of owner or state.

        :param blocked: those whose client was excluded from automatic handovers
        """
        if not self:
            return
        since = self.search(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("state", "=", "done"),
                ("date", ">=", min(self.mapped("date"))),
            ],
            order="date desc, id desc",
        )
        now = fields.Datetime.now()
        for proposal in self:
            later = since.filtered(lambda h, p=proposal: h.partner_id == p.partner_id and h.date >= p.date)[
                :1
            ]
            if proposal in blocked:
                reason = _("The client was excluded from automatic handovers since it was proposed.")
            elif later.rule_id:
                reason = _(
                    "Handed over by the rule “%(rule)s” since it was proposed.", rule=later.rule_id.name
                )
            elif later:
                reason = _(
                    "Handed over by %(user)s since it was proposed: %(reason)s",
                    user=later.create_uid.name,
                    reason=later.reason or "",
                )
            else:
                reason = _("The client's owner or lifecycle state changed since it was proposed.")
            proposal.write(
                {
                    "state": "cancelled",
                    "reason": reason,
                    "decided_by_id": self.env.uid,
                    "decided_date": now,
                }
            )

    def _reject(self, reason):
        """Reject these proposals (as superuser, once the decision checked) and say
        so on each client's chatter."""
        if not self:
            return
        now = fields.Datetime.now()
        self.write(
            {"state": "rejected", "reason": reason, "decided_by_id": self.env.uid, "decided_date": now}
        )
        days = self._cooldown_days()
        decider = self.env.user.name
        bodies = {
            handover.id: Markup("<p><b>%s</b></p><ul><li>%s</li><li>%s</li></ul>")
            % (
                _(
                    "Handover proposed by the rule “%(rule)s” rejected by %(user)s: %(reason)s",
                    rule=handover.rule_id.name,
                    user=decider,
                    reason=reason,
                ),
                _(
                    "Proposed new owner: %(user)s; lifecycle: %(old)s → %(new)s.",
                    user=handover.to_user_id.name or _("nobody"),
                    old=handover._state_label(handover.from_state),
                    new=handover._state_label(handover.to_state),
                ),
                _("The rule will not propose this client again for %(days)s days.", days=days),
            )
            for handover in self
        }
        self._post_messages(bodies)
        self.rule_id._refresh_approver_activities()

    @api.model
    def _expire_proposals(self):
        """Cancel the proposals left undecided longer than the settings allow, so
        that the queue shows only current figures (the nightly run proposes again
        the clients that still match).

        :return: the number of proposals expired
        """
        days = self._expiry_days()
        Handover = self.sudo()
        expired = Handover.search(
            [("state", "=", "proposed"), ("date", "<", fields.Datetime.now() - timedelta(days=days))]
        )
        if not expired:
            return 0
        now = fields.Datetime.now()
        # The reason in the language of the proposed owner, like the handover's note.
        for lang, handovers in expired.grouped(lambda h: h._in_owner_lang().env.lang).items():
            handovers.write(
                {
                    "state": "cancelled",
                    "decided_date": now,
                    "reason": handovers.with_context(lang=lang).env._(
                        "Proposal expired: not decided within %(days)s days.", days=days
                    ),
                }
            )
        expired.rule_id._refresh_approver_activities()
        return len(expired)

    def _decision_notification(self, outcome, already_decided=0):
        """What a decision did, as a notification that closes the dialog (and
        reloads the view the decision was taken from)."""
        counts = {key: len(records) for key, records in outcome.items()}
        messages = []
        if counts.get("approved"):
            messages.append(_("%(count)s handover(s) approved.", count=counts["approved"]))
        if counts.get("rejected"):
            messages.append(_("%(count)s proposal(s) rejected.", count=counts["rejected"]))
        if counts.get("cancelled"):
            messages.append(
                _(
                    "%(count)s proposal(s) cancelled: the client changed since it was proposed.",
                    count=counts["cancelled"],
                )
            )
        if counts.get("busy"):
            messages.append(
                _("%(count)s client(s) were being edited by someone else: try again.", count=counts["busy"])
            )
        if counts.get("unfit"):
            messages.append(
                _(
                    "%(count)s proposal(s) wait for another new owner: %(users)s can no longer receive "
                    "clients.",
                    count=counts["unfit"],
                    users=", ".join(outcome["unfit"].to_user_id.mapped("name")),
                )
            )
        if already_decided:
            messages.append(_("%(count)s handover(s) were already decided.", count=already_decided))
        problems = counts.get("cancelled") or counts.get("busy") or counts.get("unfit") or already_decided
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if problems else "success",
                "message": " ".join(messages) or _("Nothing to decide."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS: HANDOVERS
    # ------------------------------------------------------------

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
            if handover.decided_by_id:
                decider = handover.decided_by_id
                why += " " + once(
                    ("approved", lang, decider.id),
                    lambda env=env, decider=decider: env._("Approved by %(user)s.", user=decider.name),
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
        """Days until the new owner's to-do is due."""
        return self._days_param(
            "sales_roles.handover_activity_days", DEFAULT_ACTIVITY_DAYS, 0, MAX_ACTIVITY_DAYS
        )

    @api.model
    def _cooldown_days(self):
        """Days a rule waits before proposing again a client whose proposal was rejected."""
        return self._days_param(
            "sales_roles.proposal_cooldown_days", DEFAULT_COOLDOWN_DAYS, 0, MAX_COOLDOWN_DAYS
        )

    @api.model
    def _expiry_days(self):
        """Days after which an undecided proposal expires."""
        return self._days_param("sales_roles.proposal_expiry_days", DEFAULT_EXPIRY_DAYS, 1, MAX_EXPIRY_DAYS)

    @api.model
    def _days_param(self, key, default, minimum, maximum):
        """A number of days from the system parameters, read defensively: a value
        mistyped there must not stop the handovers."""
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            days = int(value or default)
        except ValueError:
            _logger.warning("System parameter %s = %r is not a number of days: %s used", key, value, default)
            return default
        return min(max(days, minimum), maximum)
