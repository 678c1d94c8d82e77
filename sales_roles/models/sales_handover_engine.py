"""The handover engine: plans what the rules would do now and carries it out.

Planning reads; it writes nothing (a preview is a plan). Running applies the
plan in committed batches (see ``sales.handover._carry_out`` for one batch: the
moves of rules that ask for approval become proposals) and reports progress to
ir.cron. Its entry points take the rules as ``self``:
``rules._plan_handovers()`` and ``rules._run_handover()``.
"""

import heapq
import logging
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg2
import psycopg2.errors

from odoo import _, fields, models
from odoo.tools import SQL, split_every

from .res_partner import OWNED_CLIENTS_WHERE

_logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
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
    # The rule asks for approval: the move is proposed, not applied.
    propose: bool = False
    # The proposal an approval applies (the handover record it turns into a done one).
    proposal_id: int | bool = False


class Match(NamedTuple):
    """A client a rule matches, with its figures (a row of ``_evaluate_query``)."""

    client_id: int
    user_id: int | None
    order_count: int
    sales_total: float


@dataclass
class HandoverPlan:
    """What the rules would do now.

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


class SalesHandoverEngine(models.AbstractModel):
    """Planning and running handovers, for ``sales.handover.rule`` (which inherits it)."""

    _name = "sales.handover.engine"
    _description = "Handover Engine"

    # ------------------------------------------------------------
    # PLANNING
    # ------------------------------------------------------------

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
            rows = [row for row in matches.get(rule.id, ()) if row.client_id not in taken]
            if not rows:
                continue
            owners = rule._assign_owners(
                [row.client_id for row in rows], {row.client_id: row.user_id for row in rows}, load
            )
            if owners is None:
                plan.problems[rule.id] = _(
                    "No one can receive the %(count)s matching client(s): the rule has no active new owner "
                    "in its company and its target sales team has no farmer. Clients were left as they are.",
                    count=len(rows),
                )
                continue
            # Read from the rule once, not once per client (tens of thousands).
            of_rule = {
                "rule_id": rule.id,
                "from_state": rule.from_state,
                "to_state": rule.to_state,
                "team_id": rule.target_team_id.id,
                "company_id": rule.company_id.id,
                "propose": rule.approval_required,
            }
            for row in rows:
                taken.add(row.client_id)
                plan.moves.append(
                    Move(
                        client_id=row.client_id,
                        from_user_id=row.user_id,
                        to_user_id=owners[row.client_id],
                        order_count=row.order_count,
                        sales_total=row.sales_total,
                        **of_rule,
                    )
                )
        return plan

    def _evaluate(self, now, since, problems):
        """The clients each of these rules (of one company) matches now.

        One query for all the rules: the confirmed orders of their candidates
        are read once and grouped by client, with the aggregates of every
        condition; each rule then tests its own. Should it fail, the rules are
        evaluated one by one, so that a broken rule is reported and skipped
        while the others run. A rule with an incomplete condition (e.g. its
        products were deleted) is reported and skipped.

        :param dict problems: rule id -> message, filled with the rules skipped
        :return: dict rule id -> list of ``Match``, by client id
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
                    SQL(", %s AS %s", aggregate, SQL.identifier(alias))
                    for alias, aggregate in condition_aggregates.items()
                ]
                rule_tests.append(test)
            if rule.approval_required:
                rule_tests.append(rule._not_rejected_sql(now))
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
                      FROM (%(orders)s) o
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
                orders=self.env["sale.order"]._confirmed_orders_sql(company_ids=company.ids),
                digits=company.currency_id.decimal_places,
                tests=SQL(", ").join(tests),
            )
        )
        matches = {rule.id: [] for rule in self}
        for *values, rule_ids in self.env.cr.fetchall():
            row = Match(*values)
            for rule_id in rule_ids:
                matches[rule_id].append(row)
        return matches

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
        the index res.partner's init() makes for it)."""
        self.env.cr.execute(
            SQL(
                "SELECT user_id, COUNT(*) FROM res_partner WHERE user_id = ANY(%s) AND %s GROUP BY user_id",
                user_ids,
                SQL(OWNED_CLIENTS_WHERE),
            )
        )
        return dict.fromkeys(user_ids, 0) | dict(self.env.cr.fetchall())

    # ------------------------------------------------------------
    # RUNNING
    # ------------------------------------------------------------

    def _run_handover(self, commit=False, since=None, plan=None):
        """Plan and apply the handovers of these rules, batch by batch.

        Each batch is applied in a savepoint and, in the scheduled action, committed:
        an interruption loses at most the batch under way, which the next call plans
        again from the data as it then is. A batch that meets a concurrent edit (a
        serialization failure: the plan read rows a user changed since) is retried
        once in a new transaction, whose re-check sees the user's change; if it
        fails again it is left for the next run, with a warning. A batch that fails
        for any other reason is retried client by client: the clients that fail are
        skipped and reported on their rule, the others are handed over.

        The moves of rules that ask for approval become proposals instead (see
        ``sales.handover._carry_out``); their approvers are told once the run ends.

        :param bool commit: commit each batch (the scheduled action, never tests)
        :param datetime since: leave alone the clients moved automatically since then
        :param HandoverPlan plan: these rules' plan when the caller has just made it
        :return: the number of clients handed over (proposals not included)
        """
        if plan is None:
            plan = self._plan_handovers(since=since)
        self._run_progress_start(plan)
        applied = done = 0
        moved_per_rule = dict.fromkeys(self.ids, 0)
        last_owner = {}
        failures = {}
        started = time.monotonic()
        for batch in split_every(BATCH_SIZE, plan.moves, list):
            moved, failed = self._apply_batch(batch, retry=commit)
            done += len(batch)
            applied += sum(not move.propose for move in moved)
            for move in moved:
                moved_per_rule[move.rule_id] += 1
                last_owner[move.rule_id] = move.to_user_id
            for move, error in failed:
                failures.setdefault(move.rule_id, []).append((move.client_id, error))
            self._run_progress_batch(moved)
            if commit:
                # Safe: the batch is complete (moves, logs, messages, activities);
                # a later failure must not undo it. Never under tests (commit=False).
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(plan.moves) - done)
            if time.monotonic() - started > TIME_BUDGET:
                break
        self._record_run(
            moved_per_rule, plan.problems, failures, last_owner, finished=done == len(plan.moves)
        )
        proposing = self.filtered(lambda rule: rule.approval_required and moved_per_rule[rule.id])
        proposing._refresh_approver_activities(notify=True)
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
                    return Handover._carry_out(batch), []
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
                    moved = Handover._carry_out([move])
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
