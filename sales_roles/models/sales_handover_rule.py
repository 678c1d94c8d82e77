import heapq
import json
import logging
import threading
import time
from collections import namedtuple

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, create_index, split_every
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil as safe_dateutil
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_time

from .res_partner import LIFECYCLE_STATES

_logger = logging.getLogger(__name__)

# One planned handover: which client moves, by which rule, from whom to whom,
# with the figures measured when it was planned.
Move = namedtuple(
    "Move",
    "client_id rule_id from_user_id to_user_id from_state to_state team_id "
    "order_count sales_total company_id",
)

# Clients handed over in one transaction of the scheduled action.
BATCH_SIZE = 500
# Seconds of work per call of the scheduled action; the rest is left to the next
# call (ir.cron calls again at once while progress reports work remaining).
TIME_BUDGET = 60

# Errors after which a batch is left for the next call rather than failing the run:
# a row locked or changed by a user in the meantime.
RETRYABLE_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable)


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

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for rule in self:
            try:
                rule._candidate_query()
            except Exception as error:  # noqa: BLE001 - any failure means the domain is unusable
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
        """The clients this rule would move now, with their proposed new owner; moves nothing."""
        self.ensure_one()
        # The preview lists clients of every owner: only for users who see them all.
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise AccessError(_("Only salespeople who see all documents can preview a handover rule."))
        self.check_access("read")
        moves = self._plan_handovers(self._rules_to_preview_with())
        moves = [move for move in moves if move.rule_id == self.id]
        # A string: context values must be hashable.
        preview = json.dumps({m.client_id: [m.to_user_id, m.order_count, m.sales_total] for m in moves})
        return {
            "type": "ir.actions.act_window",
            "name": _("Preview: %(rule)s", rule=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("sales_roles.res_partner_view_list_handover_preview").id, "list"),
                (False, "form"),
            ],
            "domain": [("id", "in", [m.client_id for m in moves])],
            "context": {"create": False, "sales_handover_preview": preview},
            "help": _("<p>No client meets this rule right now.</p>"),
        }

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
        self.sudo()._run_handover(rules, commit=not getattr(threading.current_thread(), "testing", False))

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _rules_to_preview_with(self):
        """This rule with the active rules of its company that would be tried with it."""
        return self.search([("company_id", "=", self.company_id.id)]) | self

    def _run_handover(self, rules=None, commit=False):
        """Plan and apply the handovers of ``rules`` (default: self), batch by batch.

        Each batch is applied in a savepoint and, in the scheduled action, committed:
        an interruption loses at most the batch under way, which the next call plans
        again from the data as it then is. A batch that meets a concurrent edit (a
        serialization failure: the plan read rows a user changed since) is retried
        once in a new transaction, whose re-check sees the user's change; if it
        fails again it is left for the next run, with a warning.

        :return: the number of clients handed over
        """
        rules = rules if rules is not None else self
        rules.filtered("last_run_message").write({"last_run_message": False})
        moves = self._plan_handovers(rules)
        applied = done = 0
        per_rule = dict.fromkeys(rules.ids, 0)
        started = time.monotonic()
        for batch in split_every(BATCH_SIZE, moves, list):
            moved = self._apply_batch(batch, retry=commit)
            if moved is None:
                continue
            done += len(batch)
            applied += len(moved)
            for move in moved:
                per_rule[move.rule_id] += 1
            if commit:
                # Safe: the batch is complete (moves, logs, messages, activities);
                # a later failure must not undo it. Never under tests (commit=False).
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(moves) - done)
            if time.monotonic() - started > TIME_BUDGET:
                break
        rules._record_run(per_rule)
        return applied

    def _apply_batch(self, batch, retry):
        """Apply one batch in a savepoint; None when a concurrent edit stopped it."""
        for attempt in (1, 2):
            try:
                with self.env.cr.savepoint():
                    return self.env["sales.handover"]._apply_moves(batch)
            except RETRYABLE_ERRORS as error:
                if retry and attempt == 1:
                    # Ends the transaction (nothing of this batch is in it any more):
                    # the retry's snapshot includes the concurrent change.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()
                    continue
                _logger.warning("Handover batch of %s clients left for the next run: %s", len(batch), error)
        return None

    def _record_run(self, moved_per_rule):
        now = fields.Datetime.now()
        for rule in self:
            rule.write({"last_run_date": now, "last_run_count": moved_per_rule.get(rule.id, 0)})

    def _plan_handovers(self, rules):
        """The handovers ``rules`` would make now, the first matching rule winning.

        One SQL query per company evaluates all its rules (see ``_evaluate``):
        a constant number of queries, whatever the number of clients.

        :return: list of :class:`Move`, ordered by rule sequence then client id
        """
        now = fields.Datetime.now()
        self.env.flush_all()
        rules = rules.sorted(lambda r: (r.sequence, r.id))
        matches = {}
        for company_rules in rules.grouped("company_id").values():
            matches.update(company_rules._evaluate(now))
        taken = set()
        load = {}
        moves = []
        for rule in rules:
            rows = [row for row in matches.get(rule.id, ()) if row[0] not in taken]
            if not rows:
                continue
            owners = rule._assign_owners([row[0] for row in rows], {row[0]: row[1] for row in rows}, load)
            if owners is None:
                continue
            rule_id, from_state, to_state = rule.id, rule.from_state, rule.to_state
            team_id, company_id = rule.target_team_id.id, rule.company_id.id
            for client_id, user_id, order_count, sales_total in rows:
                taken.add(client_id)
                moves.append(
                    Move(
                        client_id,
                        rule_id,
                        user_id,
                        owners[client_id],
                        from_state,
                        to_state,
                        team_id,
                        order_count,
                        sales_total,
                        company_id,
                    )
                )
        return moves

    def _report_problem(self, message):
        self.ensure_one()
        _logger.warning("Handover rule %r (id %s) skipped: %s", self.name, self.id, message)
        self.sudo().write({"last_run_message": message, "last_run_date": fields.Datetime.now()})

    def _eval_partner_domain(self):
        self.ensure_one()
        context = {
            "uid": self.env.uid,
            "user": self.env.user,
            "company_id": self.company_id.id,
            "datetime": safe_datetime,
            "dateutil": safe_dateutil,
            "time": safe_time,
            "context_today": lambda: fields.Date.context_today(self),
        }
        domain = safe_eval(self.partner_domain or "[]", context)
        if not isinstance(domain, (list, tuple)):
            raise ValueError(_("a domain is a list of conditions"))
        return list(domain)

    def _candidate_query(self):
        """Query of the clients this rule checks: commercial partners of the rule's
        company in ``from_state``, not blocked, within the teams and the filter."""
        self.ensure_one()
        domain = [
            ("sales_lifecycle_state", "=", self.from_state),
            ("handover_blocked", "=", False),
            ("company_id", "in", [False, self.company_id.id]),
        ]
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        query = self.env["res.partner"].sudo()._search(domain + self._eval_partner_domain())
        query.add_where(SQL('"res_partner"."id" = "res_partner"."commercial_partner_id"'))
        return query

    def _evaluate(self, now):
        """The clients each of these rules (of one company) matches now.

        One query for all the rules: the confirmed orders of their candidates
        are read once and grouped by client, with the aggregates of every
        condition; each rule then tests its own. Should it fail, the rules are
        evaluated one by one, so that a broken rule is reported and skipped
        while the others run.

        :return: dict rule id -> list of (client id, owner id, confirmed orders,
            sales total), by client id
        """
        rules = self.filtered("condition_ids")
        if not rules:
            return {}
        try:
            with self.env.cr.savepoint():
                return rules._evaluate_query(now)
        except Exception as error:  # noqa: BLE001 - a broken rule must not stop the others
            if len(rules) == 1:
                rules._report_problem(_("The rule could not be evaluated: %(error)s", error=error))
                return {}
        matches = {}
        for rule in rules:
            matches.update(rule._evaluate(now))
        return matches

    def _evaluate_query(self, now):
        company = self.company_id
        company.ensure_one()
        # Rules checking the same clients (same state, teams and filter) share
        # one scan of the partners.
        candidates = {}
        aggregates, tests = [], []
        for rule in self:
            query = rule._candidate_query().subselect('"res_partner"."id"', '"res_partner"."user_id"')
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
                SELECT id, user_id, order_count, sales_total, rule_ids
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
        for client_id, user_id, order_count, sales_total, rule_ids in self.env.cr.fetchall():
            for rule_id in rule_ids:
                matches[rule_id].append((client_id, user_id, order_count, sales_total))
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
            self._report_problem(
                _(
                    "No one can receive the %(count)s matching client(s): the rule has no active new owner "
                    "in its company and its target sales team has no farmer. Clients were left as they are.",
                    count=len(client_ids),
                )
            )
            return None
        if self.assign_method == "round_robin":
            ids = users.ids
            start = (
                ids.index(self.last_assigned_user_id.id) + 1 if self.last_assigned_user_id.id in ids else 0
            )
            owners = {client_id: ids[(start + i) % len(ids)] for i, client_id in enumerate(client_ids)}
            self.sudo().last_assigned_user_id = owners[client_ids[-1]]
            return owners
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
