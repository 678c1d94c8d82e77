"""Measure the handover engine on the benchmark dataset: ./dev bench

Prints one table, its rows measured by steps that each run in a fresh process
of their own (a step's peak RSS is its own), every measure beside the floor it
is compared with, measured in the same process:

- a) the floor, one hand-written SQL query computing the per-client metrics of
  the active rules; b) the engine's evaluation of every active rule
  (_plan_handovers, a preview: no write);
- c) the whole scheduled action run by ir.cron's own job loop, committing
  between batches as in production, on a throwaway copy of the database; e) a
  plain ORM write({'user_id': ...}) of the same clients as c), on another
  copy: the write floor;
- d) the per-client ORM loop an integrator writes in a server action, on a
  sample, extrapolated;
- f0) the service figures of every client, one SELECT (the service engine's
  ``_service_figures_sql``); f) the daily refresh writing them; f1) after c),
  on its copy, the daily service job as ir.cron runs it (refresh, at-risk
  clients raised, touchpoints scheduled, committed batches);
- g0) the achieved amounts of every target, one hand-written grouped query;
  g) one read of the targets list with all of them (web_search_read);
- h0) the handovers of the pending proposals applied as the nightly run does
  (_apply_moves), h) the same proposals approved in one click (action_approve),
  both rolled back;
- i) installing the addon into a copy of the dataset from which it was
  uninstalled (odoo-bin -i, a process of its own), beside the same install
  into the empty base database; j) then the scheduled action that credits
  the orders predating the install to their hunter, checked against the
  dataset's own stamps;
- p) a rule's Preview and the first page of its list, for the active rule
  matching the most clients; r) Run Now of that rule, which hands them over
  in the background;
- m) the Sales Matrix: sale.report by salesperson, product manager and
  territory, read as the administrator and (n) as a regional manager
  (through the record rules).

A step returns its rows (see ``row``); ``ROWS`` orders them and ``RATIOS``
compares them. The dataset itself is never changed: run it as often as you
like. ``--json FILE`` also writes the results, which ``tools/curve.py`` turns
into the growth curve.
"""

import argparse
import contextlib
import dataclasses
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import CLIENTS, autocommit_cursor, command_line, reporter, superuser_env

import odoo
from odoo import fields
from odoo.modules.registry import Registry
from odoo.tools import SQL, config, split_every

# Standard output carries a step's result, then the table: progress goes to stderr.
say = reporter("bench", sys.stderr)


def peak_rss():
    """Peak resident memory of this process, in bytes (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def row(measure, seconds, volume, queries, rss=None, **extra):
    """One row of the table: what was measured, its time, its volume (text),
    its number of SQL queries (None: not counted) and peak RSS (None: the
    step's); ``extra`` for the ratios and notes."""
    return {
        "measure": measure,
        "seconds": seconds,
        "volume": volume,
        "queries": queries,
        "peak_rss": rss,
        **extra,
    }


def active_rules(env):
    return env["sales.handover.rule"].sudo().search([])


def run_cron(env, xmlid):
    """A scheduled action as ir.cron's worker runs it, woken now: its job (up
    to 10 calls while progress reports work remaining, then rescheduled at
    once), again while it is ready, until it reports nothing left.

    :return: (seconds, queries, calls)
    """
    cron = env.ref(xmlid)
    cron._trigger()
    env.cr.execute(SQL("SELECT COUNT(*) FROM ir_cron_progress WHERE cron_id = %s", cron.id))
    calls_before = env.cr.fetchone()[0]
    env.cr.commit()
    IrCron = env.registry["ir.cron"]
    db = odoo.sql_db.db_connect(env.cr.dbname)
    queries = odoo.sql_db.sql_counter
    start = time.perf_counter()
    while True:
        with db.cursor() as cron_cr:
            job = IrCron._acquire_one_job(cron_cr, cron.id)
            if not job:
                break
            IrCron._process_job(db, cron_cr, job)
    seconds = time.perf_counter() - start
    queries = odoo.sql_db.sql_counter - queries
    env.invalidate_all()
    env.cr.execute(
        SQL(
            "SELECT COUNT(*), MIN(remaining), (SELECT failure_count FROM ir_cron WHERE id = %s) "
            "FROM ir_cron_progress WHERE cron_id = %s",
            cron.id,
            cron.id,
        )
    )
    calls, _remaining, failures = env.cr.fetchone()
    if failures:
        raise SystemExit(f"the scheduled action {xmlid} failed")
    return seconds, queries, calls - calls_before


# ------------------------------------------------------------
# STEPS (each in its own process): env, options -> {row key: row}
# ------------------------------------------------------------


def floor_query(env, rules):
    """a) per-client metrics (orders, sales total in company currency, last order)
    of the clients the active rules check, in one hand-written query over the
    addon's definition of a client's confirmed orders (sale.order._confirmed_orders_sql)."""
    company = rules.company_id
    return SQL(
        """
        SELECT client.id, COUNT(o.order_id), SUM(o.amount), MAX(o.date_order)
          FROM res_partner client
          LEFT JOIN (%s) o ON o.client_id = client.id
         WHERE client.id = client.commercial_partner_id
           AND client.sales_lifecycle_state = ANY(%s)
           AND client.handover_blocked IS NOT TRUE
           AND (client.company_id IS NULL OR client.company_id = %s)
      GROUP BY client.id
        """,
        env["sale.order"]._confirmed_orders_sql(company_ids=company.ids),
        list(set(rules.mapped("from_state"))),
        company.id,
    )


def step_evaluate(env, options):
    """a) and b), alternately in one process, so that both see the same caches
    and the same load of the machine; the medians of ``repeat`` runs each."""
    rules = active_rules(env)
    if len(rules.company_id) != 1:
        raise SystemExit("the floor query is written for the rules of one company")
    query = floor_query(env, rules)

    def floor():
        env.cr.execute(query)
        return len(env.cr.fetchall())

    def plan():
        env.invalidate_all()
        return rules._plan_handovers().moves

    floor()  # warms the caches
    floor_rss = peak_rss()
    plan()
    floor_times, plan_times, plan_queries = [], [], []
    for _i in range(options.repeat):
        start = time.perf_counter()
        clients = floor()
        floor_times.append(time.perf_counter() - start)
        count = env.cr.sql_log_count
        start = time.perf_counter()
        moves = plan()
        plan_times.append(time.perf_counter() - start)
        plan_queries.append(env.cr.sql_log_count - count)
    per_rule = defaultdict(int)
    for move in moves:
        per_rule[move.rule_id] += 1
    env.cr.rollback()
    return {
        "a": row(
            "floor: one hand-written SQL query",
            statistics.median(floor_times),
            f"{clients:,} clients",
            1,
            floor_rss,
            count=clients,
        ),
        "b": row(
            "engine: _plan_handovers (preview)",
            statistics.median(plan_times),
            f"{len(moves):,} handovers planned",
            max(plan_queries),
            count=len(moves),
            rules={rule.name: per_rule[rule.id] for rule in rules},
        ),
    }


def step_cron(env, _options):
    """c) the nightly scheduled action as ir.cron runs it, until done."""
    before = env["sales.handover"].search_count([])
    seconds, queries, calls = run_cron(env, "sales_roles.ir_cron_sales_handover")
    handovers = env["sales.handover"].search_count([]) - before
    return {
        "c": row(
            f"scheduled action, commits ({calls} call(s))",
            seconds,
            f"{handovers / seconds:,.0f} handovers/s ({handovers:,})",
            queries,
            count=handovers,
            calls=calls,
        )
    }


def step_write(env, _options):
    """e) the same clients as c), their new owner written with a plain ORM write,
    in batches of the same size committed the same way."""
    from odoo.addons.sales_roles.models.sales_handover_engine import BATCH_SIZE

    moves = active_rules(env)._plan_handovers().moves
    env.cr.commit()
    Partner = env["res.partner"].with_context(tracking_disable=True)
    queries = odoo.sql_db.sql_counter
    start = time.perf_counter()
    for batch in split_every(BATCH_SIZE, moves, list):
        by_owner = defaultdict(list)
        for move in batch:
            by_owner[move.to_user_id].append(move.client_id)
        for user_id, client_ids in by_owner.items():
            Partner.browse(client_ids).write({"user_id": user_id})
        env.cr.commit()
        env.invalidate_all()
    seconds = time.perf_counter() - start
    queries = odoo.sql_db.sql_counter - queries
    # For reference: the same write with Odoo's defaults (tracking, and a
    # notification to the new owner per client), on one batch, back to the
    # previous owners.
    batch = moves[:BATCH_SIZE]
    by_owner = defaultdict(list)
    for move in batch:
        by_owner[move.from_user_id].append(move.client_id)
    start = time.perf_counter()
    for user_id, client_ids in by_owner.items():
        env["res.partner"].browse(client_ids).write({"user_id": user_id})
    env.flush_all()
    default_seconds = time.perf_counter() - start
    env.cr.rollback()
    return {
        "e": row(
            "plain ORM write({'user_id'}) of c)'s clients",
            seconds,
            f"{len(moves) / seconds:,.0f} clients/s ({len(moves):,})",
            queries,
            count=len(moves),
            default_rate=len(batch) / default_seconds,
        )
    }


def naive_matches(rule, client, now):
    """Whether ``client`` meets every condition of ``rule``, the ORM way: each
    criterion's own ORM definition (handover_criteria.py), a few queries each."""
    return all(condition._holds_for(client, now) for condition in rule.condition_ids)


def step_naive(env, options):
    """d) a loop over the clients, a few ORM queries each, on a random sample;
    extrapolated to every client the rules check. Also checks that it agrees with
    the engine on the sample."""
    rules = active_rules(env).sorted(lambda r: (r.sequence, r.id))
    Partner = env["res.partner"]
    # As the engine: a client waiting for a decision on a proposal is left alone.
    pending = env["sales.handover"].search([("state", "=", "proposed")]).partner_id
    candidates = Partner.search(
        [
            ("sales_lifecycle_state", "in", list(set(rules.mapped("from_state")))),
            ("handover_blocked", "=", False),
            ("is_company", "=", True),
            ("id", "not in", pending.ids),
        ]
    )
    clients = Partner.browse(random.Random(7).sample(candidates.ids, min(options.sample, len(candidates))))
    engine = {move.client_id: move.rule_id for move in rules._plan_handovers().moves}
    env.invalidate_all()
    now = fields.Datetime.now()
    count = env.cr.sql_log_count
    start = time.perf_counter()
    naive = {}
    for client in clients:
        for rule in rules:
            if client.sales_lifecycle_state == rule.from_state and naive_matches(rule, client, now):
                naive[client.id] = rule.id
                break
    seconds = time.perf_counter() - start
    queries = env.cr.sql_log_count - count
    disagree = [cid for cid in clients.ids if naive.get(cid) != engine.get(cid)]
    env.cr.rollback()
    return {
        "d": row(
            f"naive ORM loop ({len(clients)} clients, extrapolated)",
            seconds * len(candidates) / len(clients),
            f"{len(candidates):,} clients",
            round(queries * len(candidates) / len(clients)),
            count=len(candidates),
            disagree=disagree[:10],
        )
    }


def step_matrix(env, options):
    """m) and n) the Sales Matrix: the confirmed sales of sale.report by
    salesperson, product manager and territory, as the administrator sees them
    and as a regional manager does (through the record rules of product and
    territory managers); the medians of ``repeat`` reads."""
    groupby = ["user_id", "product_manager_id", "sales_territory_id"]
    regional = env["sales.territory"].search([("child_ids", "!=", False)], order="id", limit=1).manager_id
    if not regional:
        raise SystemExit("no region with a manager in the dataset: run ./dev populate again")

    def read(report):
        times, queries = [], 0
        for _i in range(options.repeat):
            env.invalidate_all()
            count = env.cr.sql_log_count
            start = time.perf_counter()
            groups = report._read_group([("state", "=", "sale")], groupby, ["price_subtotal:sum"])
            times.append(time.perf_counter() - start)
            queries = env.cr.sql_log_count - count
        return statistics.median(times), len(groups), queries

    admin_seconds, admin_cells, admin_queries = read(env["sale.report"])
    seconds, cells, queries = read(env["sale.report"].with_user(regional))
    env.cr.rollback()
    return {
        "m": row("Sales Matrix read, administrator", admin_seconds, f"{admin_cells:,} cells", admin_queries),
        "n": row("Sales Matrix read, regional manager (record rules)", seconds, f"{cells:,} cells", queries),
    }


def step_preview(env, _options):
    """p) Preview of the active rule that matches the most clients, then the
    first page of its list as the browser asks for it; r) Run Now of the same
    rule: beyond a batch it only plans and wakes the scheduled action. As the
    administrator; rolled back."""
    admin = env.ref("base.user_admin")
    moves = active_rules(env)._plan_handovers().moves
    if not moves:
        raise SystemExit("no active rule matches a client: nothing to preview")
    counts = defaultdict(int)
    for move in moves:
        counts[move.rule_id] += 1
    rule = env["sales.handover.rule"].browse(max(counts, key=counts.get)).with_user(admin)
    del moves
    env.invalidate_all()
    count = env.cr.sql_log_count
    start = time.perf_counter()
    action = rule.action_preview()
    action = action["params"]["next"] if action["type"] == "ir.actions.client" else action
    Line = env[action["res_model"]].with_user(admin)
    page = Line.web_search_read(
        action["domain"],
        {
            "partner_id": {"fields": {"display_name": {}}},
            "sales_lifecycle_state": {},
            "hunter_id": {"fields": {"display_name": {}}},
            "user_id": {"fields": {"display_name": {}}},
            "to_user_id": {"fields": {"display_name": {}}},
            "order_count": {},
            "sales_total": {},
            "currency_id": {"fields": {}},
        },
        limit=80,
    )
    preview_seconds = time.perf_counter() - start
    preview_queries = env.cr.sql_log_count - count
    if len(page["records"]) != min(80, page["length"]):
        raise SystemExit(f"the preview's first page has {len(page['records'])} lines of {page['length']}")
    env.cr.rollback()
    env.invalidate_all()
    count = env.cr.sql_log_count
    start = time.perf_counter()
    result = rule.action_run()
    run_seconds = time.perf_counter() - start
    run_queries = env.cr.sql_log_count - count
    background = rule.run_requested
    env.cr.rollback()
    return {
        "p": row(
            "Preview of the largest rule + its first page",
            preview_seconds,
            f"{page['length']:,} clients listed",
            preview_queries,
            count=page["length"],
            rule=rule.name,
        ),
        "r": row(
            "Run Now of that rule (returns; runs as c)",
            run_seconds,
            f"{page['length']:,} clients, " + ("in the background" if background else "at once"),
            run_queries,
            background=bool(background),
            message=result["params"]["message"],
        ),
    }


@contextlib.contextmanager
def rolled_back(env):
    """Run the block in a savepoint rolled back afterwards, the work it left for
    the commit (tracking, refreshes) included; the caches forget it."""
    env.flush_all()
    env.cr.execute(SQL("SAVEPOINT bench_rolled_back"))
    try:
        yield
    finally:
        env.cr.execute(SQL("ROLLBACK TO SAVEPOINT bench_rolled_back"))
        env.cr.precommit.clear()
        env.cr.postcommit.clear()
        env.invalidate_all(flush=False)


def timed(env, work):
    """(seconds, queries, result) of ``work()``, with the flush and the work left
    for the commit (precommit: tracking, refreshes) it causes."""
    count = env.cr.sql_log_count
    start = time.perf_counter()
    result = work()
    env.flush_all()
    env.cr.precommit.run()
    return time.perf_counter() - start, env.cr.sql_log_count - count, result


def step_service(env, options):
    """f0) the service figures of every client, one hand-written SELECT (the
    engine's own ``_service_figures_sql``: checked to be a plain SELECT) and f)
    the refresh of the daily job writing them (``_refresh_service_figures``,
    rolled back), alternately; the medians of ``repeat`` runs each."""
    Engine = env["sales.service.standard"]
    now = fields.Datetime.now()
    settings = Engine._service_settings()
    query = Engine._service_figures_sql(now, settings=settings)
    if not re.match(r"\s*(WITH|SELECT)\b", query.code) or re.search(
        r"\b(UPDATE|INSERT|DELETE)\b", query.code
    ):
        raise SystemExit("the service figures' floor is not a plain SELECT")
    # As the refresh does (JIT costs more than it saves on these queries).
    env.cr.execute(SQL("SET LOCAL jit = off"))

    def floor():
        env.cr.execute(query)
        return env.cr.fetchall()

    figures = floor()  # warms the caches
    floor_rss = peak_rss()
    with rolled_back(env):
        Engine._refresh_service_figures(now=now, settings=settings)
    floor_times, refresh_times, refresh_queries = [], [], []
    for _i in range(options.repeat):
        start = time.perf_counter()
        figures = floor()
        floor_times.append(time.perf_counter() - start)
        with rolled_back(env):
            seconds, queries, to_raise = timed(
                env, lambda: Engine._refresh_service_figures(now=now, settings=settings)
            )
        refresh_times.append(seconds)
        refresh_queries.append(queries)
    followed = sum(1 for figure in figures if figure[3])
    env.cr.rollback()
    return {
        "f0": row(
            "floor: the service figures, one SELECT",
            statistics.median(floor_times),
            f"{len(figures):,} clients, {followed:,} followed",
            1,
            floor_rss,
            count=len(figures),
            followed=followed,
        ),
        "f": row(
            "service figures refreshed (_refresh_service_figures)",
            statistics.median(refresh_times),
            f"{len(figures):,} clients, {len(to_raise):,} to raise",
            max(refresh_queries),
            count=len(figures),
            to_raise=len(to_raise),
        ),
    }


def service_counts(env):
    env.cr.execute(
        SQL(
            """SELECT (SELECT COUNT(*) FROM res_partner WHERE id = commercial_partner_id AND at_risk),
                      (SELECT COUNT(*) FROM mail_activity WHERE res_model = 'res.partner')"""
        )
    )
    return env.cr.fetchone()


def step_service_cron(env, _options):
    """f1) the daily service job as ir.cron runs it (refresh, then the at-risk
    clients raised and the touchpoints scheduled in committed batches), after
    the handover's (c), on its copy."""
    at_risk, activities = service_counts(env)
    seconds, queries, calls = run_cron(env, "sales_roles.ir_cron_sales_service")
    at_risk_after, activities_after = service_counts(env)
    raised, scheduled = at_risk_after - at_risk, activities_after - activities
    return {
        "f1": row(
            f"service scheduled action, commits ({calls} call(s))",
            seconds,
            f"{raised:,} raised at risk, {scheduled:,} to-dos",
            queries,
            count=raised + scheduled,
            raised=raised,
            scheduled=scheduled,
            calls=calls,
        )
    }


# The list of targets as the browser reads it (sales_target_views.xml, the
# fields shown by default).
TARGET_LIST = {
    "name": {},
    "user_id": {"fields": {"display_name": {}}},
    "date_from": {},
    "date_to": {},
    "territory_id": {"fields": {"display_name": {}}},
    "manager_id": {"fields": {"display_name": {}}},
    "amount": {},
    "achieved_amount": {},
    "progress": {},
    "pace_status": {},
    "currency_id": {"fields": {}},
}


def targets_floor_query():
    """g0) every target's achieved amount, hand-written: its salesperson's
    confirmed lines of the period (whole days of their time zone), of its
    products and categories (with their children) and territory (with its
    children), in the company currency as sale.report converts them; grouped.
    Written the fast way (a line meets only the targets it counts for: daily
    totals for targets on every product, a join on the product for the others),
    without the addon's generality (scopes as rows, the shared lines query)."""
    return SQL(
        """
        WITH t AS MATERIALIZED (
            SELECT t.id, t.company_id, t.user_id, t.date_from, t.date_to,
                   EXISTS (SELECT FROM sales_target_product_rel r WHERE r.target_id = t.id)
                   OR EXISTS (SELECT FROM sales_target_product_category_rel r WHERE r.target_id = t.id)
                       AS by_product,
                   CASE WHEN t.territory_id IS NOT NULL THEN ARRAY(
                       SELECT st.id FROM sales_territory top
                         JOIN sales_territory st ON st.parent_path LIKE top.parent_path || '%%'
                        WHERE top.id = t.territory_id) END AS territory_ids
              FROM sales_target t
        ),
        tp AS MATERIALIZED (
            SELECT t.*, p.product_id
              FROM t
              JOIN (SELECT r.target_id, r.product_id FROM sales_target_product_rel r
                     UNION
                    SELECT r.target_id, pp.id FROM sales_target_product_category_rel r
                      JOIN product_category top ON top.id = r.category_id
                      JOIN product_category c ON c.parent_path LIKE top.parent_path || '%%'
                      JOIN product_template pt ON pt.categ_id = c.id
                      JOIN product_product pp ON pp.product_tmpl_id = pt.id) p ON p.target_id = t.id
        ),
        l AS MATERIALIZED (
            SELECT so.company_id, so.user_id, sol.product_id, so.sales_territory_id AS territory_id,
                   timezone(COALESCE(NULLIF(sp.tz, ''), 'UTC'), timezone('UTC', so.date_order))::date AS day,
                   sol.price_subtotal
                   / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END AS amount
              FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id AND sol.display_type IS NULL
              JOIN res_users u ON u.id = so.user_id
              JOIN res_partner sp ON sp.id = u.partner_id
             WHERE so.state = 'sale'
               AND so.user_id IN (SELECT user_id FROM t)
               AND so.date_order >= (SELECT MIN(date_from) - 1 FROM t)
               AND so.date_order < (SELECT MAX(date_to) + 2 FROM t)
        ),
        d AS (
            SELECT company_id, user_id, day, territory_id, SUM(amount) AS amount
              FROM l GROUP BY company_id, user_id, day, territory_id
        )
        SELECT id, SUM(amount) FROM (
            SELECT t.id, SUM(d.amount) AS amount
              FROM t JOIN d ON d.company_id = t.company_id AND d.user_id = t.user_id
                           AND d.day BETWEEN t.date_from AND t.date_to
             WHERE NOT t.by_product AND (t.territory_ids IS NULL OR d.territory_id = ANY(t.territory_ids))
          GROUP BY t.id
         UNION ALL
            SELECT tp.id, SUM(l.amount)
              FROM tp JOIN l ON l.company_id = tp.company_id AND l.user_id = tp.user_id
                            AND l.product_id = tp.product_id AND l.day BETWEEN tp.date_from AND tp.date_to
             WHERE tp.territory_ids IS NULL OR l.territory_id = ANY(tp.territory_ids)
          GROUP BY tp.id
        ) achieved
      GROUP BY id
        """
    )


def step_targets(env, options):
    """g0) the hand-written grouped query of every target's achieved amount and
    g) every target's achieved amount measured again and stored, as the nightly
    refresh does for the current ones (marked to compute, flushed), alternately;
    the medians of ``repeat`` runs each. Checks they agree, then times one read
    of the targets list with all of them as the browser reads it
    (web_search_read, as the administrator): a read of stored columns."""
    admin = env.ref("base.user_admin")
    Target = env["sales.target"].with_user(admin)
    total = Target.search_count([])
    if not total:
        raise SystemExit("no target in the dataset: run ./dev populate again")
    query = targets_floor_query()
    fields_measured = ["achieved_amount", "progress", "gap_amount"]

    def floor():
        env.cr.execute(query)
        return dict(env.cr.fetchall())

    def refresh():
        env.invalidate_all()
        targets = Target.sudo().search([])
        Target._mark_achievement_changed(targets)
        targets.flush_recordset(fields_measured)

    def read():
        env.invalidate_all()
        return Target.web_search_read([], TARGET_LIST, limit=total)

    floor()
    floor_rss = peak_rss()
    refresh()
    floor_times, refresh_times, refresh_queries = [], [], []
    for _i in range(options.repeat):
        start = time.perf_counter()
        amounts = floor()
        floor_times.append(time.perf_counter() - start)
        seconds, queries, _result = timed(env, refresh)
        refresh_times.append(seconds)
        refresh_queries.append(queries)
    read_seconds, read_queries, page = timed(env, read)
    differ = [
        record["id"]
        for record in page["records"]
        if abs(record["achieved_amount"] - float(amounts.get(record["id"]) or 0.0)) > 0.01
    ]
    env.cr.rollback()
    return {
        "g0": row(
            "floor: achieved amounts, one grouped query",
            statistics.median(floor_times),
            f"{total:,} targets, {len(amounts):,} with sales",
            1,
            floor_rss,
            count=total,
        ),
        "g": row(
            "achieved amounts measured and stored (nightly refresh)",
            statistics.median(refresh_times),
            f"{total:,} targets; the list read then: {read_seconds:.2f} s",
            max(refresh_queries),
            count=total,
            differ=differ[:10],
            read_queries=read_queries,
            read_seconds=read_seconds,
        ),
    }


def step_dashboard(env, options):
    """k) the "Hunters & Farmers" dashboard opening: every data request the web
    client sends for it (its pivots, list and charts with the global filters'
    defaults: this quarter), replayed as the administrator, median of ``repeat``
    openings; the slowest source is named beside it."""
    from odoo.addons.sales_roles.tools.dashboard import replay_dashboard

    openings = []
    for _i in range(options.repeat):
        openings.append(replay_dashboard(env))
    env.cr.rollback()
    totals = [sum(seconds for *_rest, seconds in opening) for opening in openings]
    median = statistics.median(totals)
    opening = openings[totals.index(median)] if median in totals else openings[-1]
    slowest = max(opening, key=lambda source: source[3])
    requests = sum(source[1] for source in opening)
    queries = sum(source[2] for source in opening)
    return {
        "k": row(
            "dashboard opening, its data requests (administrator)",
            median,
            f"{len(opening)} sources, {requests} requests (slowest: {slowest[0]}, {slowest[3]:.2f} s)",
            queries,
        )
    }


def step_proposals(env, options):
    """h0) the pending proposals' handovers applied as the nightly run applies
    them (``_apply_moves``) and h) the same proposals approved in one click
    (``action_approve``, as their approver), each rolled back, alternately; the
    medians of ``repeat`` runs each."""
    from odoo.addons.sales_roles.models.sales_handover_engine import BATCH_SIZE

    Handover = env["sales.handover"]
    proposals = Handover.search([("state", "=", "proposed")], order="id", limit=BATCH_SIZE)
    if not proposals:
        raise SystemExit("no pending proposal in the dataset: run ./dev populate again")
    approver = proposals.rule_id[:1].approver_id or env.ref("base.user_admin")
    figures = proposals._measure_now()
    moves = [
        dataclasses.replace(proposal._as_move(figures), proposal_id=None, propose=False)
        for proposal in proposals
    ]

    def apply():
        return Handover._apply_moves(moves)

    def approve():
        return proposals.with_user(approver).action_approve()

    apply_times, apply_queries, approve_times, approve_queries = [], [], [], []
    for _i in range(options.repeat + 1):  # the first round warms the caches
        env.invalidate_all()
        with rolled_back(env):
            seconds, queries, applied = timed(env, apply)
        apply_times.append(seconds)
        apply_queries.append(queries)
        env.invalidate_all()
        with rolled_back(env):
            seconds, queries, _result = timed(env, approve)
            approved = proposals.filtered(lambda p: p.state == "done")
        approve_times.append(seconds)
        approve_queries.append(queries)
    env.cr.rollback()
    return {
        "h0": row(
            "the same handovers applied (_apply_moves)",
            statistics.median(apply_times[1:]),
            f"{len(applied):,} clients handed over",
            apply_queries[-1],
            count=len(applied),
        ),
        "h": row(
            "proposals approved in one click (action_approve)",
            statistics.median(approve_times[1:]),
            f"{len(approved):,} of {len(proposals):,} approved",
            approve_queries[-1],
            count=len(approved),
            proposals=len(proposals),
        ),
    }


def odoo_bin(*args):
    """odoo-bin with this process's configuration; returns its log (fails on a
    warning or an error, as ./dev does)."""
    log = Path(config["data_dir"]) / "bench-odoo-bin.log"
    log.unlink(missing_ok=True)
    odoo_bin_path = Path(odoo.__file__).resolve().parents[1] / "odoo-bin"
    command = [sys.executable, str(odoo_bin_path), "-c", config.rcfile, f"--logfile={log}", *args]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    text = log.read_text() if log.exists() else ""
    bad = re.findall(r"^\S+ \S+ \d+ (?:WARNING|ERROR|CRITICAL) .*$", text, re.MULTILINE)
    if proc.returncode or bad:
        sys.stderr.write(proc.stderr + "\n".join(bad or text.splitlines()[-30:]) + "\n")
        raise SystemExit(f"odoo-bin {' '.join(args)} failed")
    return text


def timed_install(dbname):
    """odoo-bin -i sales_roles on ``dbname``: (seconds, the child's peak RSS)."""
    start = time.perf_counter()
    odoo_bin("-d", dbname, "-i", "sales_roles", "--stop-after-init", "--without-demo=all", "--log-level=warn")
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def fingerprint(cr):
    """What the install and the crediting of past orders must reproduce: the
    clients' lifecycle and hunter, and the confirmed orders per hunter. An
    install cannot know which clients were handed over to farmers before it:
    regular clients and key accounts count as the new clients it makes of them."""
    cr.execute(
        SQL(
            """WITH partner AS (
                   SELECT id, hunter_id,
                          CASE WHEN sales_lifecycle_state IN ('regular', 'key') THEN 'new'
                               ELSE sales_lifecycle_state END AS state
                     FROM res_partner)
               SELECT (SELECT md5(string_agg(id || ':' || state || ':' || COALESCE(hunter_id, 0),
                                             ',' ORDER BY id)) FROM partner),
                      (SELECT COUNT(*) FROM partner WHERE state = 'new'),
                      (SELECT md5(string_agg(h || ':' || n, ',' ORDER BY h)) FROM (
                           SELECT COALESCE(hunter_id, 0) AS h, COUNT(*) AS n FROM sale_order
                            WHERE state = 'sale' GROUP BY 1) o),
                      (SELECT COUNT(*) FROM sale_order WHERE state = 'sale' AND hunter_id IS NOT NULL)"""
        )
    )
    return cr.fetchone()


def step_install(env, options):
    """i) The addon installed into a copy of the dataset it was uninstalled
    from (env's database), beside the same install into the empty base
    database; checks the clients are classified as in the dataset and that no
    order was written."""
    dbname = env.cr.dbname
    want = fingerprint(env.cr)
    env["ir.module.module"].search([("name", "=", "sales_roles")]).button_immediate_uninstall()
    env.cr.commit()
    # The install's transactions come after this one: the orders they write
    # are those of a more recent xmin.
    env.cr.execute(SQL("SELECT mod(txid_current(), 4294967296)::text, COUNT(*) FROM sale_order"))
    before, orders = env.cr.fetchone()
    env.cr.commit()
    seconds, rss = timed_install(dbname)
    empty_seconds = None
    if options.base_db:
        empty = f"{dbname}_empty"
        copy_database(options.base_db, empty)
        try:
            empty_seconds, _rss = timed_install(empty)
        finally:
            drop_database(empty)
    env.cr.execute(SQL("SELECT COUNT(*) FROM sale_order WHERE age(xmin) < age(%s::xid)", before))
    rewritten = env.cr.fetchone()[0]
    got = fingerprint(env.cr)
    if got[:2] != want[:2]:
        raise SystemExit(
            f"the install classified the clients otherwise: {got[1]} new partners, not {want[1]}"
        )
    env.cr.commit()
    return {
        "i": row(
            "install into the dataset (odoo-bin -i)",
            seconds,
            f"{orders:,} orders, {rewritten:,} rewritten",
            None,
            rss,
            count=orders,
            empty_seconds=empty_seconds,
            rewritten=rewritten,
            classified=got[1],
        )
    }


def step_stamp(env, options):
    """j) After i): the scheduled action that credits the orders that predate
    the install to their hunter, until done; checked against the dataset's
    stamps (given by the orchestrator)."""
    seconds, queries, calls = run_cron(env, "sales_roles.ir_cron_stamp_historical_orders")
    got = fingerprint(env.cr)
    if got[2] != options.want_orders:
        raise SystemExit("the orders were not credited to the hunters they have in the dataset")
    cron = env.ref("sales_roles.ir_cron_stamp_historical_orders")
    return {
        "j": row(
            f"crediting past orders, scheduled action ({calls} call(s))",
            seconds,
            f"{got[3] / seconds:,.0f} orders/s ({got[3]:,})",
            queries,
            count=got[3],
            switched_off=not cron.active,
        )
    }


STEPS = {
    "evaluate": step_evaluate,
    "naive": step_naive,
    "matrix": step_matrix,
    "preview": step_preview,
    "cron": step_cron,
    "write": step_write,
    "install": step_install,
    "stamp": step_stamp,
    "service": step_service,
    "service_cron": step_service_cron,
    "targets": step_targets,
    "proposals": step_proposals,
    "dashboard": step_dashboard,
}
# The table's rows, in order: a new row is a step (its measure and, in the same
# process, its floor) and its entries here.
ROWS = ["a", "b", "c", "d", "e", "f0", "f", "f1", "g0", "g", "h0", "h", "i", "j", "p", "r", "m", "n", "k"]
# (name, numerator, denominator, per: compare seconds per counted item, target)
RATIOS = [
    ("b/a", "b", "a", False, "target <= 2"),
    ("c/e", "c", "e", True, "target <= 3, per client"),
    ("d/b", "d", "b", False, ""),
    ("f/f0", "f", "f0", False, "target <= 2"),
    ("g/g0", "g", "g0", False, "target <= 2, and <= 5 queries"),
    ("h/h0", "h", "h0", True, "target <= 1.2, per client"),
]


def run_step(step, dbname, options):
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        rss = current_rss()
        rows = STEPS[step](env, options)
    for result in rows.values():
        if result["peak_rss"] is None:
            result["peak_rss"] = peak_rss()
        result.setdefault("base_rss", rss)
    return rows


# ------------------------------------------------------------
# ORCHESTRATION
# ------------------------------------------------------------


def admin_sql(query):
    """A statement on the 'postgres' database, outside any transaction."""
    with autocommit_cursor("postgres") as cr:
        cr.execute(query)


def copy_database(source, target):
    admin_sql(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(target)))
    # FILE_COPY: a copy of the files rather than through the WAL, much faster for
    # a database of gigabytes. No filestore: nothing here reads attachments.
    admin_sql(
        SQL(
            "CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY",
            SQL.identifier(target),
            SQL.identifier(source),
        )
    )


def drop_database(name):
    admin_sql(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(name)))


def spawn(step, dbname, odoo_args, options):
    """Run one step in a fresh process; return its rows."""
    args = [sys.executable, __file__, f"--step={step}", f"--options={json.dumps(vars(options))}"]
    proc = subprocess.run([*args, *odoo_args, "-d", dbname], capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench step {step} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(size):
    return f"{size / 2**20:,.0f} MiB"


def ratio(rows, numerator, denominator, per):
    top, bottom = rows[numerator], rows[denominator]
    if per:
        return (top["seconds"] / top["count"]) / (bottom["seconds"] / bottom["count"])
    return top["seconds"] / bottom["seconds"]


def table(rows):
    """The markdown table of the rows measured, in ROWS order."""
    header = ("", "measure", "time", "volume", "queries", "peak RSS")
    lines = [
        (
            key,
            result["measure"],
            f"{result['seconds']:.2f} s" if result["seconds"] < 10 else f"{result['seconds']:.1f} s",
            result["volume"],
            "-" if result["queries"] is None else f"{result['queries']:,}",
            mib(result["peak_rss"]),
        )
        for key in ROWS
        if (result := rows.get(key))
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [
        "| " + " | ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)) + " |" for line in lines
    ]
    return "\n".join(out)


def print_report(report):
    rows = report["rows"]
    print(f"Benchmark of {report['database']}: {report['info']}")
    print(f"Machine: {report['machine']}")
    print(table(rows))
    print()
    for name, value, target in report["ratios"]:
        print(f"{name} = {value:,.2f}  ({target})" if target else f"{name} = {value:,.0f}")
    if "b" in rows:
        print(f"evaluation queries: {rows['b']['queries']} for {rows['a']['count']:,} clients")
        for rule, count in rows["b"]["rules"].items():
            print(f"  rule {rule!r}: {count:,} handovers planned")
    if "c" in rows:
        c = rows["c"]
        print(f"peak RSS of the scheduled action: {mib(c['peak_rss'])} (after loading: {mib(c['base_rss'])})")
    if "e" in rows:
        print(
            f"e) with Odoo's default context (tracking, notifications): {rows['e']['default_rate']:,.0f} clients/s"
        )
    if "i" in rows:
        i = rows["i"]
        empty = f"; into the empty base database: {i['empty_seconds']:.1f} s" if i["empty_seconds"] else ""
        print(f"install: {i['classified']:,} partners classified, {i['rewritten']:,} orders rewritten{empty}")
    if "j" in rows:
        print(f"crediting past orders: switched itself off when done: {rows['j']['switched_off']}")
    if "p" in rows:
        print(f"preview of rule {rows['p']['rule']!r}; Run Now says: {rows['r']['message']}")
    if "m" in rows:
        m, n = rows["m"], rows["n"]
        print(
            f"Sales Matrix (sale.report by salesperson x product manager x territory): {m['seconds']:.2f} s, "
            f"{m['volume']}; as a regional manager (record rules): {n['seconds']:.2f} s, {n['volume']}"
        )
    if "f" in rows:
        f = rows["f"]
        print(
            f"service figures: {rows['f0']['followed']:,} clients followed by a standard; the refresh of "
            f"{f['count']:,} clients: {f['queries']} SQL statement(s), {f['to_raise']:,} to raise at risk"
        )
    if "f1" in rows:
        f1 = rows["f1"]
        print(
            f"service scheduled action: {f1['raised']:,} clients raised at risk, {f1['scheduled']:,} "
            f"to-dos (touchpoints and at-risk), {f1['calls']} call(s)"
        )
    if "g" in rows:
        g = rows["g"]
        agree = "agree" if not g["differ"] else f"DIFFER on targets {g['differ']}"
        print(
            f"targets: {g['count']:,} measured and stored in {g['queries']} queries, the list read in "
            f"{g['read_queries']} ({g['read_seconds']:.2f} s); achieved amounts and floor {agree}"
        )
    if "h" in rows:
        h = rows["h"]
        print(
            f"proposals: {h['count']:,} of {h['proposals']:,} approved in {h['queries']} queries; "
            f"applied as handovers: {rows['h0']['count']:,} in {rows['h0']['queries']} queries"
        )
    if rows.get("d", {}).get("disagree"):
        print(f"WARNING: the naive loop and the engine disagree on clients {rows['d']['disagree']}")


def dataset_info(dbname):
    registry = Registry(dbname)
    with registry.cursor() as cr:
        cr.execute(
            SQL(
                """SELECT (SELECT COUNT(*) FROM res_partner WHERE %s),
                          (SELECT COUNT(*) FROM sale_order), (SELECT COUNT(*) FROM sale_order_line),
                          (SELECT COUNT(*) FROM sales_handover_rule WHERE active),
                          current_setting('server_version')""",
                CLIENTS,
            )
        )
        clients, orders, lines, rules, version = cr.fetchone()
        stamps = fingerprint(cr)
    odoo.sql_db.close_db(dbname)
    info = f"{clients:,} clients, {orders:,} orders, {lines:,} lines, {rules} active rules"
    return {
        "clients": clients,
        "orders": orders,
        "lines": lines,
        "info": info,
        "pg": version,
        "stamps": stamps,
    }


def machine_info(pg_version):
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = sys.version.split()[0]
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, PostgreSQL {pg_version}, Python {python}"


# Where each step runs: on the dataset (read only, rolled back) or on a
# throwaway copy of it; the steps sharing a copy run on it in this order.
PLAN = [
    ("evaluate", None),
    ("naive", None),
    ("matrix", None),
    ("preview", None),
    ("service", None),
    ("targets", None),
    ("proposals", None),
    ("dashboard", None),
    ("cron", "c"),
    ("service_cron", "c"),
    ("write", "e"),
    ("install", "i"),
    ("stamp", "i"),
]


def bench(dbname, odoo_args, options, dataset):
    """Run each step in a process of its own; return their rows."""
    steps = [(step, copy) for step, copy in PLAN if step in options.steps]
    options.want_orders = dataset["stamps"][2]
    passthrough = [arg for arg in odoo_args if not arg.startswith("-d") and arg != dbname]
    rows = {}
    copy = None
    try:
        for index, (step, copy_key) in enumerate(steps):
            db = dbname
            if copy_key:
                db = f"{dbname}_bench_{copy_key}"
                if copy != db:
                    # One copy at a time (a dataset of 300,000 clients takes gigabytes);
                    # CREATE DATABASE ... TEMPLATE needs the dataset idle: no step runs.
                    say("copying %s to %s", dbname, db)
                    copy_database(dbname, db)
                    copy = db
            say("step %s on %s", step, db)
            rows.update(spawn(step, db, passthrough, options))
            if copy and (index + 1 == len(steps) or steps[index + 1][1] != copy_key):
                drop_database(copy)
                copy = None
    finally:
        if copy:
            drop_database(copy)
    return rows


def main(argv):
    def arguments(parser):
        parser.add_argument(
            "--repeat", type=int, default=3, help="timed runs of a), b) and the matrix (median)"
        )
        parser.add_argument("--sample", type=int, default=300, help="clients of the naive loop d)")
        parser.add_argument(
            "--steps",
            default=",".join(step for step, _copy in PLAN),
            help="the steps to run, comma-separated (default: all): " + ", ".join(step for step, _c in PLAN),
        )
        parser.add_argument("--base-db", help="the empty base database, for the install's reference")
        parser.add_argument("--json", help="also write the results to this file")
        parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
        parser.add_argument("--options", help=argparse.SUPPRESS)

    parser, args, odoo_args = command_line("./dev bench", __doc__, argv, arguments)
    dbname = config["db_name"]
    if args.step:
        options = argparse.Namespace(**json.loads(args.options))
        print(json.dumps(run_step(args.step, dbname, options), default=str))
        return 0
    args.steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if "stamp" in args.steps and "install" not in args.steps:
        parser.error("the step stamp runs after install")
    started = time.monotonic()
    dataset = dataset_info(dbname)
    options = argparse.Namespace(
        **{k: v for k, v in vars(args).items() if k not in ("step", "options", "json")}
    )
    rows = bench(dbname, odoo_args, options, dataset)
    report = {
        "database": dbname,
        "info": dataset["info"],
        "clients": dataset["clients"],
        "orders": dataset["orders"],
        "machine": machine_info(dataset["pg"]),
        "rows": rows,
        "ratios": [
            (name, ratio(rows, top, bottom, per), target)
            for name, top, bottom, per, target in RATIOS
            if top in rows and bottom in rows
        ],
    }
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str) + "\n")
    say("done in %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
