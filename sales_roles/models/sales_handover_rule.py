import logging
import threading
from collections import Counter
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools import client_filter
from .res_partner import LIFECYCLE_STATES
from .sales_handover_engine import BATCH_SIZE

# Run Now hands over at once, in the request, at most this many clients (one
# batch); more are handed over in the background by a scheduled action.
RUN_NOW_LIMIT = BATCH_SIZE
# The progress of a requested run: the system's own (see _check_run_fields).
RUN_FIELDS = ("run_requested", "run_done_count", "run_total_count")

_logger = logging.getLogger(__name__)


# What changes who decides on a rule's proposals (see _sync_approver_group).
APPROVAL_FIELDS = {"approval_required", "approver_id", "target_team_id", "company_id", "active"}


class SalesHandoverRule(models.Model):
    _name = "sales.handover.rule"
    # The chatter carries the approver's to-dos (see _refresh_approver_activities)
    # and the history of the approval settings.
    _inherit = ["sales.handover.engine", "mail.thread", "mail.activity.mixin"]
    _description = "Handover Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    description = fields.Text(
        translate=True,
        help="The rule in plain words, as it is announced to the sales team.",
    )
    sequence = fields.Integer(
        default=10, help="Rules are tried in this order; the first that matches a client wins."
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    from_state = fields.Selection(
        LIFECYCLE_STATES,
        required=True,
        default="new",
        help="Clients in this state are checked.",
    )
    to_state = fields.Selection(
        LIFECYCLE_STATES,
        required=True,
        default="regular",
        help="The state the client moves to.",
    )
    condition_ids = fields.One2many("sales.handover.condition", "rule_id", string="Conditions", copy=True)
    team_ids = fields.Many2many(
        "crm.team",
        string="Only Clients of Teams",
        check_company=True,
        help="Leave empty to check the clients of every sales team.",
    )
    partner_domain = fields.Char(
        string="Only Clients Matching",
        default="[]",
        help="An extra filter on the clients, as a domain on contacts.",
    )
    assign_method = fields.Selection(
        [
            ("least_loaded", "Least Loaded"),
            ("round_robin", "Round Robin"),
            ("keep", "Keep Current Owner"),
        ],
        string="Assignment",
        required=True,
        default="least_loaded",
        help="Least loaded: the candidate owning the fewest regular and key clients. "
        "Round robin: each candidate in turn. Keep current owner: only the lifecycle "
        "state changes (e.g. dormant client alerts).",
    )
    target_user_ids = fields.Many2many(
        "res.users",
        string="New Owners",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="The candidates to receive the clients. "
        "Leave empty to use the farmers of the target sales team.",
    )
    target_team_id = fields.Many2one(
        "crm.team",
        string="Target Sales Team",
        check_company=True,
        help="When set, handed-over clients join this sales team.",
    )
    last_assigned_user_id = fields.Many2one(
        "res.users",
        string="Last Assigned",
        readonly=True,
        copy=False,
        help="Where the round robin starts next time.",
    )
    approval_required = fields.Boolean(
        string="Requires Approval",
        tracking=True,
        help="The nightly run proposes the handovers of this rule instead of making them: nothing "
        "changes for the client until the approver approves the proposal.",
    )
    approver_id = fields.Many2one(
        "res.users",
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Who approves or rejects the proposals of this rule, besides the Sales Administrators. "
        "Leave empty for the leader of the target sales team, else the Sales Administrators of "
        "the company.",
    )
    proposal_count = fields.Integer(compute="_compute_proposal_count", string="Pending Proposals")
    last_run_date = fields.Datetime(readonly=True, copy=False)
    last_run_count = fields.Integer(string="Clients Moved by Last Run", readonly=True, copy=False)
    last_run_message = fields.Text(string="Last Run Problem", readonly=True, copy=False)
    # Run Now of many clients: set by action_run, advanced by each committed
    # batch of the scheduled action, cleared when the run is through.
    run_requested = fields.Boolean(
        string="Running in the Background",
        readonly=True,
        copy=False,
        help="Run Now was asked for more clients than are handed over at once: the rule runs in "
        "the background, batch by batch.",
    )
    run_done_count = fields.Integer(
        string="Clients Handed Over So Far",
        readonly=True,
        copy=False,
        help="Clients handed over by the run asked for with Run Now.",
    )
    run_total_count = fields.Integer(
        string="Clients to Hand Over",
        readonly=True,
        copy=False,
        help="Clients handed over so far plus those the run still plans to hand over.",
    )
    handover_count = fields.Integer(compute="_compute_handover_count", string="Handovers")

    def _compute_handover_count(self):
        counts = dict(
            self.env["sales.handover"]._read_group(
                [("rule_id", "in", self.ids), ("state", "=", "done")], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.handover_count = counts.get(rule, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_proposal_count(self):
        # As the user: the proposals their record rules let them read.
        counts = {}
        if self.env["sales.handover"].has_access("read"):
            counts = dict(
                self.env["sales.handover"]._read_group(
                    [("rule_id", "in", self.ids), ("state", "=", "proposed")], ["rule_id"], ["__count"]
                )
            )
        for rule in self:
            rule.proposal_count = counts.get(rule, 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("from_state", "to_state")
    def _check_states(self):
        for rule in self:
            if rule.from_state == rule.to_state:
                raise ValidationError(
                    _(
                        "Rule “%(rule)s” must move clients to another lifecycle state "
                        "than the one they are in.",
                        rule=rule.name,
                    )
                )

    @api.constrains("partner_domain", "company_id")
    def _check_partner_domain(self):
        for rule in self:
            try:
                domain = rule._client_filter()
                # A filter may only use what its author may read.
                Partner = self.env["res.partner"].with_company(rule.company_id)
                client_filter.check_access(Partner, domain)
                Partner._search(domain)
            except Exception as error:  # noqa: BLE001 - any failure means the filter is unusable
                raise ValidationError(
                    _(
                        "Rule “%(rule)s”: the client filter is not a valid domain on contacts (%(error)s). "
                        'Use the domain editor, e.g. [("country_id.code", "=", "RU")].',
                        rule=rule.name,
                        error=error,
                    )
                ) from None

    @api.constrains("active", "assign_method", "target_user_ids", "target_team_id", "condition_ids")
    def _check_ready_to_run(self):
        for rule in self.filtered("active"):
            if not rule.condition_ids:
                raise ValidationError(
                    _(
                        "Rule “%(rule)s” has no condition: it would hand over every client in its state. "
                        "Add at least one condition.",
                        rule=rule.name,
                    )
                )
            if rule.assign_method != "keep" and not (rule.target_user_ids or rule.target_team_id):
                raise ValidationError(
                    _(
                        "Rule “%(rule)s” gives clients to new owners: choose the new owners "
                        "or a target sales "
                        "team whose farmers receive them, or keep the current owner.",
                        rule=rule.name,
                    )
                )

    @api.constrains("approver_id", "company_id")
    def _check_approver(self):
        for rule in self.filtered("approver_id"):
            if not rule._may_approve(rule.approver_id):
                raise ValidationError(
                    _(
                        "Rule “%(rule)s”: the approver %(user)s must be an active salesperson of %(company)s.",
                        rule=rule.name,
                        user=rule.approver_id.name,
                        company=rule.company_id.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _prepare_create_values(self, vals_list):
        # Defaults from the context and ir.default are in by now.
        vals_list = super()._prepare_create_values(vals_list)
        for vals in vals_list:
            self._check_run_fields(vals)
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        if any(vals.get("approval_required") for vals in vals_list):
            self._sync_approver_group()
        return rules

    def write(self, vals):
        self._check_run_fields(vals)
        res = super().write(vals)
        if vals.keys() & APPROVAL_FIELDS:
            self._sync_approver_group()
        return res

    def unlink(self):
        approving = any(self.mapped("approval_required"))
        res = super().unlink()
        if approving:
            self._sync_approver_group()
        return res

    def _check_run_fields(self, vals):
        """The progress of a requested run is the system's: set by Run Now and
        the scheduled action (as superuser), by nobody else on any path. Writing
        the value a rule already has (a new rule: none) is not a change."""
        if self.env.su:
            return
        changed = []
        for name in RUN_FIELDS:
            if name not in vals:
                continue
            value = self._fields[name].convert_to_cache(vals[name], self, validate=False)
            current = [rule[name] for rule in self] or [self._fields[name].convert_to_cache(False, self)]
            if any(old != value for old in current):
                changed.append(name)
        if changed:
            raise AccessError(
                _(
                    "The progress of a rule's run (%(fields)s) is set by Run Now and the scheduled action only.",
                    fields=", ".join(
                        self._fields[name].get_description(self.env)["string"] for name in changed
                    ),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        groups = self.env["sales.handover"].sudo()._read_group([("rule_id", "in", self.ids)], ["rule_id"])
        used = self.browse(rule.id for (rule,) in groups)
        if used:
            raise UserError(
                _(
                    "%(rules)s cannot be deleted: the handover log names the clients they moved. "
                    "Archive them instead.",
                    rules=", ".join(used.mapped("name")[:10]),
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_preview(self):
        """The clients this rule would move now, with their proposed new owner; changes nothing."""
        self.ensure_one()
        # The preview lists clients of every owner: only for users who see them all.
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise AccessError(_("Only salespeople who see all documents can preview a handover rule."))
        self.check_access("read")
        return self.env["sales.handover.preview"]._open_preview(self)

    def action_run(self):
        """Hand over now the clients these rules match (Sales Administrators).

        A batch's worth is handed over at once, in the request. More would hold
        it for minutes: the rules are then marked and the scheduled action of
        requested runs is woken; it runs these rules only, in committed batches,
        and their form shows how far it got.
        """
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only Sales Administrators can run handover rules."))
        self.check_access("write")  # e.g. another company's rules
        rules = self.sudo()
        plan = rules._plan_handovers()
        if len(plan.moves) <= RUN_NOW_LIMIT:
            moved = rules._run_handover(commit=False, plan=plan)
            message = _("%(count)s client(s) handed over.", count=moved)
            proposed = sum(self.filtered("approval_required").mapped("last_run_count"))
            if proposed:
                message += " " + _("%(count)s client(s) proposed for approval.", count=proposed)
            return self._notify("success" if moved or proposed else "info", message)
        planned = Counter(move.rule_id for move in plan.moves)
        for rule in rules:
            rule.write({"run_requested": True, "run_done_count": 0, "run_total_count": planned[rule.id]})
        self.env.ref("sales_roles.ir_cron_sales_handover_requested").sudo()._trigger()
        return self._notify(
            "info",
            _(
                "%(count)s client(s) to hand over: the rule runs in the background, batch by batch. "
                "Its form shows how far it got.",
                count=len(plan.moves),
            ),
        )

    def _notify(self, kind, message):
        """A notification, then back to the form (reloaded: it shows the run)."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": message,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_handovers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_handover_action")
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    def action_view_proposals(self):
        """The pending proposals of this rule, to approve or reject."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_handover_proposal_action")
        action["domain"] = [("rule_id", "=", self.id)]
        action["display_name"] = _("Proposals: %(rule)s", rule=self.name)
        return action

    # ------------------------------------------------------------
    # SCHEDULED ACTION
    # ------------------------------------------------------------

    @api.model
    def _cron_run_handover(self):
        """Nightly: expire the proposals left undecided too long, then run every
        active rule of every company; first, once per run (not at each call
        ir.cron makes while work is left), set right the clients' order figures
        and the current targets' achieved amounts that a change made outside
        the usual paths left behind (one statement each)."""
        progress, first = self._run_progresses()
        if progress == first:
            self.env["res.partner"].sudo()._refresh_order_figures()
            self.env["sales.target"]._refresh_achieved_amounts()
        self.env["sales.handover"]._expire_proposals()
        rules = self.sudo().search([])
        rules._run_handover(
            commit=not getattr(threading.current_thread(), "testing", False),
            since=self._run_started(),
        )

    @api.model
    def _cron_run_requested_handovers(self):
        """Woken by Run Now: the rules whose run was asked for, and only them."""
        requested = self.sudo().with_context(active_test=False).search([("run_requested", "=", True)])
        # An archived rule does not run.
        requested.filtered(lambda rule: not rule.active).run_requested = False
        requested.filtered("active")._run_handover(
            commit=not getattr(threading.current_thread(), "testing", False),
            since=self._run_started(),
        )

    @api.model
    def _run_started(self):
        """When the scheduled action's current run began, or None outside it.

        ir.cron calls the job again while a call reports work left, each call
        with the ``lastcall`` of the last completed run: the run began with the
        first call since then. Clients moved automatically since that moment
        are not moved again in the same run (a client made regular by the first
        call must not be made dormant by the second).
        """
        _progress, first = self._run_progresses()
        # Handovers are dated to the second: one made in the second the run
        # began is of this run too.
        return first.create_date.replace(microsecond=0) if first else None

    @api.model
    def _run_progresses(self):
        """(this call's ir.cron progress, the first call's of the current run),
        both empty outside the scheduled action (see _run_started)."""
        Progress = self.env["ir.cron.progress"].sudo()
        progress = Progress.browse(self.env.context.get("ir_cron_progress_id"))
        if not progress:
            return progress, progress
        domain = [("cron_id", "=", progress.cron_id.id)]
        if self.env.context.get("lastcall"):
            domain.append(("create_date", ">", self.env.context["lastcall"]))
        first = Progress.search(domain, order="create_date, id", limit=1)
        return progress, first or progress

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _rules_to_preview_with(self):
        """This rule with the active rules of its company tried before it: they
        take their clients first and load the owners it chooses among. The
        rules tried after it change nothing of what it does: not evaluated."""
        self.ensure_one()
        rules = self.search([("company_id", "=", self.company_id.id)])
        return rules.filtered(lambda rule: (rule.sequence, rule.id) < (self.sequence, self.id)) | self

    def _run_progress_start(self, plan):
        """A requested run is planned again by each call of the scheduled action:
        what is left to do is what this plan holds."""
        requested = self.filtered("run_requested")
        if requested:
            planned = Counter(move.rule_id for move in plan.moves)
            for rule in requested:
                rule.run_total_count = rule.run_done_count + planned[rule.id]

    def _run_progress_batch(self, moved):
        """Count a batch's handovers on the requested runs, in the batch's transaction."""
        requested = self.filtered("run_requested")
        if requested:
            counts = Counter(move.rule_id for move in moved)
            for rule in requested.filtered(lambda r: counts[r.id]):
                rule.run_done_count += counts[rule.id]

    def _record_run(self, moved_per_rule, problems, failures, last_owner, finished=True):
        """What the run did, on each rule: when, how many clients, what went wrong;
        a requested run that went through is over."""
        now = fields.Datetime.now()
        names = dict(
            self.env["res.partner"]
            .sudo()
            .browse({client_id for failed in failures.values() for client_id, _error in failed})
            .mapped(lambda partner: (partner.id, partner.display_name))
        )
        for rule in self:
            messages = [problems[rule.id]] if rule.id in problems else []
            if rule.id in failures:
                failed = failures[rule.id]
                messages.append(
                    _(
                        "%(count)s client(s) could not be handed over and were skipped: %(clients)s.",
                        count=len(failed),
                        clients="; ".join(
                            f"{names.get(client_id, client_id)} ({error})" for client_id, error in failed[:10]
                        ),
                    )
                )
            for message in messages:
                _logger.warning("Handover rule %r (id %s): %s", rule.name, rule.id, message)
            vals = {
                "last_run_date": now,
                "last_run_count": moved_per_rule.get(rule.id, 0),
                "last_run_message": "\n".join(messages) or False,
            }
            if rule.assign_method == "round_robin" and rule.id in last_owner:
                vals["last_assigned_user_id"] = last_owner[rule.id]
            if finished and rule.run_requested:
                vals["run_requested"] = False
            rule.write(vals)

    def _client_filter(self):
        """The rule's client filter as a domain: data only (see tools/client_filter.py)."""
        self.ensure_one()
        return client_filter.evaluate(self.env, self.partner_domain, self.company_id.id)

    def _candidate_query(self, since=None):
        """Query of the clients this rule checks: commercial partners of the rule's
        company in ``from_state``, not blocked, within the teams and the filter.

        A shared client (without company) is checked only by the rules of the
        company it buys from: not when it has confirmed orders in another
        company. Clients moved automatically since ``since`` are left alone.
        """
        self.ensure_one()
        company = self.company_id
        domain = [
            ("sales_lifecycle_state", "=", self.from_state),
            ("handover_blocked", "=", False),
            ("company_id", "in", [False, company.id]),
        ]
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        # The run sees every client of the company; the filter, checked against
        # its author's rights when saved, holds plain values only.
        Partner = self.env["res.partner"].sudo().with_company(company)
        query = Partner._search(domain + self._client_filter())
        query.add_where(SQL('"res_partner"."id" = "res_partner"."commercial_partner_id"'))
        query.add_where(
            SQL(
                """("res_partner"."company_id" IS NOT NULL OR "res_partner"."id" NOT IN (
                        SELECT customer.commercial_partner_id
                          FROM res_company other
                          JOIN sale_order so ON so.company_id = other.id
                          JOIN res_partner customer ON customer.id = so.partner_id
                         WHERE other.id <> %s
                           AND so.state = 'sale'))""",
                company.id,
            )
        )
        # A client waiting for a decision on a proposal (of any rule) is left alone
        # until it is decided (on the index of pending proposals).
        query.add_where(
            SQL(
                """NOT EXISTS (
                    SELECT 1
                      FROM sales_handover pending
                     WHERE pending.partner_id = "res_partner"."id"
                       AND pending.state = 'proposed')"""
            )
        )
        if since:
            query.add_where(
                SQL(
                    """NOT EXISTS (
                        SELECT 1
                          FROM sales_handover moved
                         WHERE moved.partner_id = "res_partner"."id"
                           AND moved.trigger = 'auto'
                           AND moved.state = 'done'
                           AND moved.date >= %s)""",
                    since,
                )
            )
        return query

    def _not_rejected_sql(self, now):
        """SQL test on a candidate ``c`` of this rule: the rule did not propose it
        in a proposal rejected within the cooldown (a per-rule test rather than a
        candidate filter: rules checking the same clients keep sharing one scan)."""
        self.ensure_one()
        cooldown = self.env["sales.handover"]._cooldown_days()
        return SQL(
            """NOT EXISTS (
                SELECT 1
                  FROM sales_handover rejected
                 WHERE rejected.partner_id = c.id
                   AND rejected.rule_id = %s
                   AND rejected.state = 'rejected'
                   AND rejected.decided_date >= %s)""",
            self.id,
            now - timedelta(days=cooldown),
        )

    def _candidate_owners(self):
        """The users who may receive this rule's clients, by id."""
        self.ensure_one()
        users = self.target_user_ids or self.target_team_id.member_ids.filtered(
            lambda u: u.sales_role == "farmer"
        )
        return users.filtered(lambda u: u.active and not u.share and self.company_id in u.company_ids).sorted(
            "id"
        )

    # ------------------------------------------------------------
    # BUSINESS METHODS: APPROVAL
    # ------------------------------------------------------------

    def _may_approve(self, user):
        """Whether ``user`` can be this rule's approver: an active salesperson of its company."""
        self.ensure_one()
        user = user.sudo()
        return bool(
            user
            and user.active
            and not user.share
            and self.company_id in user.company_ids
            and user._has_group("sales_team.group_sale_salesman")
        )

    def _named_approver(self):
        """The approver this rule names: its approver, or when it has none the leader
        of its target sales team; nobody when that user cannot approve (then the
        Sales Administrators decide)."""
        self.ensure_one()
        rule = self.sudo()
        user = rule.approver_id or rule.target_team_id.user_id
        return user if rule._may_approve(user) else self.env["res.users"]

    def _approvers(self):
        """Who is asked to decide on this rule's proposals: the approver it names,
        else every Sales Administrator of its company (any of them may decide; the
        to-dos of all close together when the queue is empty)."""
        self.ensure_one()
        return self._named_approver() or self._sales_administrators()

    def _sales_administrators(self):
        self.ensure_one()
        group = self.env.ref("sales_team.group_sale_manager")
        return (
            group.sudo()
            .users.filtered(
                lambda user: user.active and not user.share and self.company_id in user.company_ids
            )
            .sorted("id")
        )

    def _user_decides(self, user):
        """Whether ``user`` approves and rejects this rule's proposals: the approver
        it names, and the Sales Administrators of its company."""
        self.ensure_one()
        rule = self.sudo()
        if user._is_superuser():
            return True
        if rule.company_id not in user.sudo().company_ids:
            return False
        return user.sudo()._has_group("sales_team.group_sale_manager") or user == rule._named_approver()

    @api.model
    def _sync_approver_group(self):
        """Keep the "Handover Approver" group to the approvers the rules name: it
        shows them the Proposals menu (Sales Administrators see it anyway)."""
        group = self.env.ref("sales_roles.group_handover_approver", raise_if_not_found=False)
        if not group:
            return
        rules = self.sudo().search([("approval_required", "=", True)])
        approvers = self.env["res.users"].union(*(rule._named_approver() for rule in rules))
        group = group.sudo()
        if group.users != approvers:
            group.write({"users": [Command.set(approvers.ids)]})

    def _refresh_approver_activities(self, notify=False):
        """Keep, while proposals of these rules wait, one to-do per approver and rule
        saying how many: updated after every decision and run, created when a run
        proposes new clients (``notify``), marked done when none is left.
        """
        Handover = self.env["sales.handover"].sudo()
        counts = dict(
            Handover._read_group(
                [("rule_id", "in", self.ids), ("state", "=", "proposed")], ["rule_id"], ["__count"]
            )
        )
        activity_type = self.env.ref(
            "sales_roles.mail_activity_type_handover_proposals", raise_if_not_found=False
        )
        if not activity_type:
            return
        for rule in self.sudo():
            count = counts.get(rule, 0)
            todos = rule.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)
            if not count:
                todos.action_feedback(feedback=_("No proposal left to decide."))
                continue
            approvers = rule._approvers()
            stale = todos.filtered(lambda activity, approvers=approvers: activity.user_id not in approvers)
            todos -= stale
            stale.unlink()
            for user in approvers:
                summary, note = rule.with_context(lang=user.lang or self.env.lang)._approver_todo_text(count)
                todo = todos.filtered(lambda activity, user=user: activity.user_id == user)
                if todo:
                    todo.write({"summary": summary, "note": note})
                elif notify:
                    rule.activity_schedule(
                        "sales_roles.mail_activity_type_handover_proposals",
                        summary=summary,
                        note=note,
                        user_id=user.id,
                    )

    def _approver_todo_text(self, count):
        """The summary and note of the approver's to-do, in the env's language."""
        self.ensure_one()
        env = self.env
        if self.target_team_id:
            summary = env._(
                "%(count)s client(s) proposed for %(team)s", count=count, team=self.target_team_id.name
            )
        else:
            summary = env._("%(count)s client(s) proposed by “%(rule)s”", count=count, rule=self.name)
        note = Markup(
            '<p>%s</p><p>%s</p><p><a href="/odoo/action-sales_roles.sales_handover_proposal_action">%s</a></p>'
        ) % (
            env._(
                "The rule “%(rule)s” proposes to hand %(count)s client(s) over: approve or reject them "
                "with the rule's Proposals button, or in Sales > Hunters & Farmers > Proposals.",
                rule=self.name,
                count=count,
            ),
            env._(
                "Proposals not decided within %(days)s days expire.",
                days=env["sales.handover"]._expiry_days(),
            ),
            env._("Open the proposals"),
        )
        return summary, note
