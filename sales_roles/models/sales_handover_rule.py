import logging
import threading
from collections import Counter

from odoo import _, api, fields, models
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


class SalesHandoverRule(models.Model):
    _name = "sales.handover.rule"
    _inherit = ["sales.handover.engine"]
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
            self.env["sales.handover"]._read_group([("rule_id", "in", self.ids)], ["rule_id"], ["__count"])
        )
        for rule in self:
            rule.handover_count = counts.get(rule, 0)

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

    def write(self, vals):
        self._check_run_fields(vals)
        return super().write(vals)

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
            return self._notify(
                "success" if moved else "info", _("%(count)s client(s) handed over.", count=moved)
            )
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

    # ------------------------------------------------------------
    # SCHEDULED ACTION
    # ------------------------------------------------------------

    @api.model
    def _cron_run_handover(self):
        """Nightly: every active rule of every company."""
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
        progress_id = self.env.context.get("ir_cron_progress_id")
        if not progress_id:
            return None
        Progress = self.env["ir.cron.progress"].sudo()
        progress = Progress.browse(progress_id)
        domain = [("cron_id", "=", progress.cron_id.id)]
        if self.env.context.get("lastcall"):
            domain.append(("create_date", ">", self.env.context["lastcall"]))
        first = Progress.search(domain, order="create_date, id", limit=1)
        return (first or progress).create_date

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
        if since:
            query.add_where(
                SQL(
                    """NOT EXISTS (
                        SELECT 1
                          FROM sales_handover moved
                         WHERE moved.partner_id = "res_partner"."id"
                           AND moved.trigger = 'auto'
                           AND moved.date >= %s)""",
                    since,
                )
            )
        return query

    def _candidate_owners(self):
        """The users who may receive this rule's clients, by id."""
        self.ensure_one()
        users = self.target_user_ids or self.target_team_id.member_ids.filtered(
            lambda u: u.sales_role == "farmer"
        )
        return users.filtered(lambda u: u.active and not u.share and self.company_id in u.company_ids).sorted(
            "id"
        )
