import heapq
import logging
import threading
import time
from dataclasses import dataclass, field

import psycopg2
import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, create_index, split_every

from ..tools import client_filter
from .res_partner import LIFECYCLE_STATES

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Move:
    """One planned handover: which client moves, by which rule, from whom to
    whom, with the figures measured when it was planned."""

    client_id: int
    rule_id: int | bool
    from_user_id: int | bool
    to_user_id: int | bool
    from_state: str
    to_state: str
    team_id: int | bool
    order_count: int
    sales_total: float
    company_id: int


@dataclass
class HandoverPlan:
    """What the rules would do now; planning writes nothing.

    :ivar list moves: the handovers, by rule sequence then client id
    :ivar dict problems: rule id -> why (part of) the rule cannot run
    """

    moves: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)


# Clients handed over in one transaction of the scheduled action.
BATCH_SIZE = 500
# Seconds of work per call of the scheduled action; the rest is left to the next
# call (ir.cron calls again at once while progress reports work remaining).
TIME_BUDGET = 60

# Errors after which a batch is left for the next call rather than failing the run:
# a row locked or changed by a user in the meantime.
RETRYABLE_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable)
# Errors that say the transaction or the process cannot go on: the call stops,
# what was committed stays and the next call carries on. Any other error in a
# batch is a problem of one of its clients: the batch is retried client by client.
FATAL_ERRORS = (MemoryError, psycopg2.OperationalError, psycopg2.InterfaceError)


class SalesHandoverRule(models.Model):
    _name = "sales.handover.rule"
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
    handover_count = fields.Integer(compute="_compute_handover_count", string="Handovers")

    def init(self):
        res = super().init()
        # The load of the candidate owners (least loaded assignment, _owned_clients):
        # an index-only scan of the handed-over clients instead of reading every
        # regular and key client (0.2 ms instead of 65 ms on 100k clients; a plain
        # index on user_id is slower still, owners having many contacts and
        # prospects). Dropped with the sales_lifecycle_state column.
        create_index(
            self.env.cr,
            "res_partner_sales_roles_owned_clients_index",
            "res_partner",
            ["user_id"],
            where="id = commercial_partner_id AND active AND sales_lifecycle_state IN ('regular', 'key')",
        )
        return res

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
        """Hand over now the clients this rule matches (Sales Administrators)."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only Sales Administrators can run handover rules."))
        self.check_access("write")  # e.g. another company's rules
        moved = self.sudo()._run_handover(commit=False)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if moved else "info",
                "message": _("%(count)s client(s) handed over.", count=moved),
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
        """This rule with the active rules of its company that would be tried with it."""
        return self.search([("company_id", "=", self.company_id.id)]) | self

    def _run_handover(self, commit=False, since=None):
        """Plan and apply the handovers of these rules, batch by batch.

        Each batch is applied in a savepoint and, in the scheduled action, committed:
        an interruption loses at most the batch under way, which the next call plans
        again from the data as it then is. A batch that meets a concurrent edit (a
        serialization failure: the plan read rows a user changed since) is retried
        once in a new transaction, whose re-check sees the user's change; if it
        fails again it is left for the next run, with a warning. A batch that fails
        for any other reason is retried client by client: the clients that fail are
        skipped and reported on their rule, the others are handed over.

        :param bool commit: commit each batch (the scheduled action, never tests)
        :param datetime since: leave alone the clients moved automatically since then
        :return: the number of clients handed over
        """
        plan = self._plan_handovers(since=since)
        applied = done = 0
        moved_per_rule = dict.fromkeys(self.ids, 0)
        last_owner = {}
        failures = {}
        started = time.monotonic()
        for batch in split_every(BATCH_SIZE, plan.moves, list):
            moved, failed = self._apply_batch(batch, retry=commit)
            done += len(batch)
            applied += len(moved)
            for move in moved:
                moved_per_rule[move.rule_id] += 1
                last_owner[move.rule_id] = move.to_user_id
            for move, error in failed:
                failures.setdefault(move.rule_id, []).append((move.client_id, error))
            if commit:
                # Safe: the batch is complete (moves, logs, messages, activities);
                # a later failure must not undo it. Never under tests (commit=False).
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(plan.moves) - done)
            if time.monotonic() - started > TIME_BUDGET:
                break
        self._record_run(moved_per_rule, plan.problems, failures, last_owner)
        return applied

    def _apply_batch(self, batch, retry):
        """Apply one batch in a savepoint.

        :return: ``(applied moves, [(move, error)] that failed)``; a batch stopped
            by a concurrent edit is neither (it is planned again by the next run)
        """
        Handover = self.env["sales.handover"]
        for attempt in (1, 2):
            try:
                with self.env.cr.savepoint():
                    return Handover._apply_moves(batch), []
            except RETRYABLE_ERRORS as error:
                if retry and attempt == 1:
                    # Ends the transaction (nothing of this batch is in it any more):
                    # the retry's snapshot includes the concurrent change.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()
                    continue
                _logger.warning("Handover batch of %s clients left for the next run: %s", len(batch), error)
                return [], []
            except FATAL_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - one client's problem must not stop the others
                _logger.warning("Handover batch of %s clients failed: retrying client by client", len(batch))
                self.env.invalidate_all()
                break
        applied, failed = [], []
        for move in batch:
            try:
                with self.env.cr.savepoint():
                    moved = Handover._apply_moves([move])
            except FATAL_ERRORS:
                raise
            except Exception as error:  # noqa: BLE001 - skipped, reported on its rule
                _logger.warning(
                    "Client %s could not be handed over by rule %s",
                    move.client_id,
                    move.rule_id,
                    exc_info=True,
                )
                self.env.invalidate_all()
                failed.append((move, error))
            else:
                applied += moved
        return applied, failed

    def _record_run(self, moved_per_rule, problems, failures, last_owner):
        """What the run did, on each rule: when, how many clients, what went wrong."""
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
            rule.write(vals)

    def _plan_handovers(self, since=None):
        """The handovers these rules would make now, the first matching rule winning.

        One SQL query per company evaluates all its rules (see ``_evaluate``):
        a constant number of queries, whatever the number of clients. Nothing is
        written: the round robin's position and the problems are the run's to record.

        :param datetime since: leave alone the clients moved automatically since then
        :rtype: HandoverPlan
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        rules = self.sorted(lambda r: (r.sequence, r.id))
        plan = HandoverPlan()
        matches = {}
        for company_rules in rules.grouped("company_id").values():
            matches.update(company_rules._evaluate(now, since, plan.problems))
        taken = set()
        load = {}
        for rule in rules:
            rows = [row for row in matches.get(rule.id, ()) if row["client_id"] not in taken]
            if not rows:
                continue
            owners = rule._assign_owners(
                [row["client_id"] for row in rows], {row["client_id"]: row["user_id"] for row in rows}, load
            )
            if owners is None:
                plan.problems[rule.id] = _(
                    "No one can receive the %(count)s matching client(s): the rule has no active new owner "
                    "in its company and its target sales team has no farmer. Clients were left as they are.",
                    count=len(rows),
                )
                continue
            for row in rows:
                taken.add(row["client_id"])
                plan.moves.append(
                    Move(
                        client_id=row["client_id"],
                        rule_id=rule.id,
                        from_user_id=row["user_id"],
                        to_user_id=owners[row["client_id"]],
                        from_state=rule.from_state,
                        to_state=rule.to_state,
                        team_id=rule.target_team_id.id,
                        order_count=row["order_count"],
                        sales_total=row["sales_total"],
                        company_id=rule.company_id.id,
                    )
                )
        return plan

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

    def _evaluate(self, now, since, problems):
        """The clients each of these rules (of one company) matches now.

        One query for all the rules: the confirmed orders of their candidates
        are read once and grouped by client, with the aggregates of every
        condition; each rule then tests its own. Should it fail, the rules are
        evaluated one by one, so that a broken rule is reported and skipped
        while the others run. A rule with an incomplete condition (e.g. its
        products were deleted) is reported and skipped.

        :param dict problems: rule id -> message, filled with the rules skipped
        :return: dict rule id -> list of rows (``client_id``, ``user_id``,
            ``order_count``, ``sales_total``), by client id
        """
        rules = self.browse()
        for rule in self.filtered("condition_ids"):
            errors = [error for condition in rule.condition_ids if (error := condition._threshold_error())]
            if errors:
                problems[rule.id] = _("The rule has an incomplete condition: %(error)s", error=errors[0])
            else:
                rules |= rule
        if not rules:
            return {}
        try:
            with self.env.cr.savepoint():
                return rules._evaluate_query(now, since)
        except Exception as error:  # noqa: BLE001 - a broken rule must not stop the others
            if len(rules) == 1:
                problems[rules.id] = _("The rule could not be evaluated: %(error)s", error=error)
                return {}
        matches = {}
        for rule in rules:
            matches.update(rule._evaluate(now, since, problems))
        return matches

    def _evaluate_query(self, now, since):
        company = self.company_id
        company.ensure_one()
        # Rules checking the same clients (same state, teams and filter) share
        # one scan of the partners.
        candidates = {}
        aggregates, tests = [], []
        for rule in self:
            query = rule._candidate_query(since).subselect('"res_partner"."id"', '"res_partner"."user_id"')
            candidates.setdefault((query.code, repr(query.params)), (query, []))[1].append(rule.id)
            rule_tests = []
            for condition in rule.condition_ids:
                condition_aggregates, test = condition._evaluation_sql(now)
                aggregates += [
                    SQL(", %s AS %s", aggregate, SQL.identifier(f"c{condition.id}_{index}"))
                    for index, aggregate in enumerate(condition_aggregates)
                ]
                rule_tests.append(test)
            tests.append(
                SQL(
                    "CASE WHEN %s = ANY(c.rule_ids) AND %s THEN %s END",
                    rule.id,
                    SQL(" AND ").join(rule_tests),
                    rule.id,
                )
            )
        self.env.cr.execute(
            SQL(
                # JIT compilation of this query costs more than it saves (0.8 s of 3 s
                # on a million orders): off for the rest of this transaction only.
                """
                SET LOCAL jit = off;
                WITH candidate AS MATERIALIZED (%(candidates)s),
                -- Every confirmed order of the company, grouped by client, in one scan:
                -- PostgreSQL cannot estimate how many clients the candidates are, and
                -- going through the indexes for most of them costs more than the scan.
                metrics AS (
                    SELECT o.client_id, COUNT(*) AS order_count, SUM(o.amount) AS sales_total %(aggregates)s
                      FROM (
                        SELECT customer.commercial_partner_id AS client_id,
                               so.date_order,
                               so.amount_untaxed
                                 / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0
                                   ELSE so.currency_rate END AS amount
                          FROM sale_order so
                          JOIN res_partner customer ON customer.id = so.partner_id
                         WHERE so.state = 'sale'
                           AND so.company_id = %(company)s
                      ) o
                  GROUP BY o.client_id
                ),
                matched AS (
                    SELECT c.id, c.user_id, COALESCE(m.order_count, 0) AS order_count,
                           COALESCE(ROUND(m.sales_total, %(digits)s), 0)::float8 AS sales_total,
                           array_remove(ARRAY[%(tests)s], NULL) AS rule_ids
                      FROM candidate c
                 LEFT JOIN metrics m ON m.client_id = c.id
                )
                SELECT id AS client_id, user_id, order_count, sales_total, rule_ids
                  FROM matched
                 WHERE rule_ids <> '{}'
              ORDER BY id
                """,
                # A client checked by rules with different filters comes once per
                # filter, each time with the rules of that filter.
                candidates=SQL(" UNION ALL ").join(
                    SQL("SELECT c.id, c.user_id, %s::int[] AS rule_ids FROM %s AS c", rule_ids, query)
                    for query, rule_ids in candidates.values()
                ),
                aggregates=SQL("").join(aggregates),
                company=company.id,
                digits=company.currency_id.decimal_places,
                tests=SQL(", ").join(tests),
            )
        )
        matches = {rule.id: [] for rule in self}
        for row in self.env.cr.dictfetchall():
            for rule_id in row.pop("rule_ids"):
                matches[rule_id].append(row)
        return matches

    def _candidate_owners(self):
        """The users who may receive this rule's clients, by id."""
        self.ensure_one()
        users = self.target_user_ids or self.target_team_id.member_ids.filtered(
            lambda u: u.sales_role == "farmer"
        )
        return users.filtered(lambda u: u.active and not u.share and self.company_id in u.company_ids).sorted(
            "id"
        )

    def _assign_owners(self, client_ids, current_owner, load):
        """Choose the new owner of each client.

        :param list client_ids: the clients, in a stable order
        :param dict current_owner: client id -> current owner id
        :param dict load: user id -> regular/key clients owned, including the ones
            assigned earlier in this run; updated in place
        :return: dict client id -> new owner id, or None when nobody can receive them
        """
        self.ensure_one()
        if self.assign_method == "keep":
            return dict(current_owner)
        users = self._candidate_owners()
        if not users:
            return None
        if self.assign_method == "round_robin":
            # From the last owner given by the last run (recorded by the run, not here).
            ids = users.ids
            start = (
                ids.index(self.last_assigned_user_id.id) + 1 if self.last_assigned_user_id.id in ids else 0
            )
            return {client_id: ids[(start + i) % len(ids)] for i, client_id in enumerate(client_ids)}
        missing = [user_id for user_id in users.ids if user_id not in load]
        if missing:
            load.update(self._owned_clients(missing))
        # The least loaded candidate, ties to the lowest id: a heap of (load, id).
        heap = [(load[user_id], user_id) for user_id in users.ids]
        heapq.heapify(heap)
        owners = {}
        for client_id in client_ids:
            count, user_id = heap[0]
            owners[client_id] = user_id
            heapq.heapreplace(heap, (count + 1, user_id))
        for count, user_id in heap:
            load[user_id] = count
        return owners

    def _owned_clients(self, user_ids):
        """user id -> number of regular and key clients they own (one query, on
        the index made for it in init())."""
        self.env.cr.execute(
            SQL(
                """
                SELECT user_id, COUNT(*)
                  FROM res_partner
                 WHERE user_id = ANY(%s)
                   AND id = commercial_partner_id
                   AND active
                   AND sales_lifecycle_state IN ('regular', 'key')
              GROUP BY user_id
                """,
                user_ids,
            )
        )
        return dict.fromkeys(user_ids, 0) | dict(self.env.cr.fetchall())
