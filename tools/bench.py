"""Measure the handover engine on the benchmark dataset: ./dev bench

Prints one table, each row measured in a fresh process of its own (its peak RSS
is its own): a) the floor, one hand-written SQL query computing the per-client
metrics of the active rules; b) the engine's evaluation of every active rule
(_plan_handovers, a preview: no write); c) the whole scheduled action run by
ir.cron's own job loop, committing between batches as in production, on a
throwaway copy of the database; d) the per-client ORM loop an integrator
writes in a server action, on a sample, extrapolated; e) a plain ORM
write({'user_id': ...}) of the same clients as c), on another copy: the write
floor. After the table, the Sales Matrix: sale.report by salesperson, product
manager and territory, read as the administrator and as a regional manager
(through the record rules). The dataset itself is never changed: run it as
often as you like.
"""

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from _common import CLIENTS, autocommit_cursor, command_line, reporter, superuser_env

import odoo
from odoo import fields
from odoo.modules.registry import Registry
from odoo.tools import SQL, config, split_every

from odoo.addons.base.models.ir_cron import CompletionStatus

# Standard output carries a step's result, then the table: progress goes to stderr.
say = reporter("bench", sys.stderr)


def peak_rss():
    """Peak resident memory of this process, in bytes (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def active_rules(env):
    return env["sales.handover.rule"].sudo().search([])


# ------------------------------------------------------------
# STEPS (each in its own process)
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


def step_evaluate(env, repeat):
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
    for _i in range(repeat):
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
        "floor": {
            "seconds": statistics.median(floor_times),
            "rows": clients,
            "queries": 1,
            "peak_rss": floor_rss,
        },
        "plan": {
            "seconds": statistics.median(plan_times),
            "rows": len(moves),
            "queries": max(plan_queries),
            "peak_rss": peak_rss(),
            "rules": {rule.name: per_rule[rule.id] for rule in rules},
        },
    }


def step_cron(env, _repeat):
    """c) the scheduled action as ir.cron runs it: its job loop (up to 10 calls
    per pass while progress reports work remaining), passes until done."""
    cron = env.ref("sales_roles.ir_cron_sales_handover")
    job = {
        "id": cron.id,
        "cron_name": cron.cron_name,
        "user_id": cron.user_id.id,
        "ir_actions_server_id": cron.ir_actions_server_id.id,
        "lastcall": cron.lastcall,
        "timed_out_counter": 0,
        "active": True,
    }
    IrCron = env.registry["ir.cron"]
    before = env["sales.handover"].search_count([])
    env.cr.commit()
    queries = odoo.sql_db.sql_counter
    start = time.perf_counter()
    passes = 0
    while True:
        passes += 1
        status = IrCron._run_job(job)
        if status != CompletionStatus.PARTIALLY_DONE:
            break
    seconds = time.perf_counter() - start
    queries = odoo.sql_db.sql_counter - queries
    env.invalidate_all()
    env.cr.execute(SQL("SELECT COUNT(*) FROM ir_cron_progress WHERE cron_id = %s", cron.id))
    calls = env.cr.fetchone()[0]
    handovers = env["sales.handover"].search_count([]) - before
    if status != CompletionStatus.FULLY_DONE:
        raise SystemExit(f"the scheduled action ended {status}")
    return {"seconds": seconds, "rows": handovers, "queries": queries, "calls": calls, "passes": passes}


def step_write(env, _repeat):
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
        "seconds": seconds,
        "rows": len(moves),
        "queries": queries,
        "default_rate": len(batch) / default_seconds,
    }


def naive_matches(rule, client, now):
    """Whether ``client`` meets every condition of ``rule``, the ORM way: each
    criterion's own ORM definition (handover_criteria.py), a few queries each."""
    return all(condition._holds_for(client, now) for condition in rule.condition_ids)


def step_naive(env, sample):
    """d) a loop over the clients, a few ORM queries each, on a random sample;
    extrapolated to every client the rules check. Also checks that it agrees with
    the engine on the sample."""
    rules = active_rules(env).sorted(lambda r: (r.sequence, r.id))
    Partner = env["res.partner"]
    candidates = Partner.search(
        [
            ("sales_lifecycle_state", "in", list(set(rules.mapped("from_state")))),
            ("handover_blocked", "=", False),
            ("is_company", "=", True),
        ]
    )
    clients = Partner.browse(random.Random(7).sample(candidates.ids, min(sample, len(candidates))))
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
        "seconds": seconds * len(candidates) / len(clients),
        "sample": len(clients),
        "sample_seconds": seconds,
        "rows": len(candidates),
        "queries": round(queries * len(candidates) / len(clients)),
        "disagree": disagree[:10],
    }


def step_matrix(env, repeat):
    """The Sales Matrix: the confirmed sales of sale.report by salesperson, product
    manager and territory, as the administrator sees them and as a regional
    manager does (through the record rules of product and territory managers);
    the medians of ``repeat`` reads."""
    groupby = ["user_id", "product_manager_id", "sales_territory_id"]
    regional = env["sales.territory"].search([("child_ids", "!=", False)], order="id", limit=1).manager_id
    if not regional:
        raise SystemExit("no region with a manager in the dataset: run ./dev populate again")

    def read(report):
        times = []
        for _i in range(repeat):
            env.invalidate_all()
            start = time.perf_counter()
            groups = report._read_group([("state", "=", "sale")], groupby, ["price_subtotal:sum"])
            times.append(time.perf_counter() - start)
        return statistics.median(times), len(groups)

    admin_seconds, admin_cells = read(env["sale.report"])
    seconds, cells = read(env["sale.report"].with_user(regional))
    env.cr.rollback()
    return {
        "seconds": admin_seconds,
        "rows": admin_cells,
        "manager_seconds": seconds,
        "manager_rows": cells,
    }


STEPS = {
    "evaluate": step_evaluate,
    "cron": step_cron,
    "write": step_write,
    "naive": step_naive,
    "matrix": step_matrix,
}


def run_step(step, dbname, arg):
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        rss = current_rss()
        result = STEPS[step](env, arg)
    result.setdefault("peak_rss", peak_rss())
    result["base_rss"] = rss
    return result


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


def spawn(step, dbname, odoo_args, arg):
    """Run one step in a fresh process; return what it measured."""
    args = [sys.executable, __file__, f"--step={step}", f"--arg={arg}", *odoo_args, "-d", dbname]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench step {step} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(size):
    return f"{size / 2**20:,.0f} MiB"


def print_table(dbname, info, machine, results):
    a, b, c, d, e = (results[k] for k in ("floor", "plan", "cron", "naive", "write"))
    rows = [
        (
            "a",
            "floor: one hand-written SQL query",
            f"{a['seconds']:.2f} s",
            f"{a['rows']:,} clients",
            f"{a['queries']}",
            mib(a["peak_rss"]),
        ),
        (
            "b",
            "engine: _plan_handovers (preview)",
            f"{b['seconds']:.2f} s",
            f"{b['rows']:,} handovers planned",
            f"{b['queries']}",
            mib(b["peak_rss"]),
        ),
        (
            "c",
            f"scheduled action, commits ({c['calls']} call(s))",
            f"{c['seconds']:.1f} s",
            f"{c['rows'] / c['seconds']:,.0f} handovers/s ({c['rows']:,})",
            f"{c['queries']:,}",
            mib(c["peak_rss"]),
        ),
        (
            "d",
            f"naive ORM loop ({d['sample']} clients, extrapolated)",
            f"{d['seconds']:.1f} s",
            f"{d['rows']:,} clients",
            f"{d['queries']:,}",
            mib(d["peak_rss"]),
        ),
        (
            "e",
            "plain ORM write({'user_id'}) of c)'s clients",
            f"{e['seconds']:.1f} s",
            f"{e['rows'] / e['seconds']:,.0f} clients/s ({e['rows']:,})",
            f"{e['queries']:,}",
            mib(e["peak_rss"]),
        ),
    ]
    header = ("", "measure", "time", "volume", "queries", "peak RSS")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(f"Benchmark of {dbname}: {info}")
    print(f"Machine: {machine}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
    print()
    print(f"b/a = {b['seconds'] / a['seconds']:.2f}  (target <= 2)")
    print(f"c/e = {c['seconds'] / e['seconds'] * e['rows'] / c['rows']:.2f}  (target <= 3, per client)")
    print(f"d/b = {d['seconds'] / b['seconds']:,.0f}")
    print(f"evaluation queries: {b['queries']} for {a['rows']:,} clients")
    print(f"peak RSS of the scheduled action: {mib(c['peak_rss'])} (after loading: {mib(c['base_rss'])})")
    print(f"e) with Odoo's default context (tracking, notifications): {e['default_rate']:,.0f} clients/s")
    for rule, count in b["rules"].items():
        print(f"  rule {rule!r}: {count:,} handovers planned")
    m = results["matrix"]
    print(
        f"Sales Matrix (sale.report by salesperson x product manager x territory): {m['seconds']:.2f} s, "
        f"{m['rows']:,} cells; as a regional manager (record rules): {m['manager_seconds']:.2f} s, "
        f"{m['manager_rows']:,} cells"
    )
    if d["disagree"]:
        print(f"WARNING: the naive loop and the engine disagree on clients {d['disagree']}")


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
    odoo.sql_db.close_db(dbname)
    return f"{clients:,} clients, {orders:,} orders, {lines:,} lines, {rules} active rules", version


def machine_info(pg_version):
    cpu = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = sys.version.split()[0]
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, PostgreSQL {pg_version}, Python {python}"


def bench(dbname, odoo_args, args):
    """Run each step in a process of its own; return their results."""
    # The copies first: CREATE DATABASE ... TEMPLATE needs the template idle.
    copies = {"cron": f"{dbname}_bench_c", "write": f"{dbname}_bench_e"}
    results = {}
    try:
        for copy in copies.values():
            say("copying %s to %s", dbname, copy)
            copy_database(dbname, copy)
        plan = [
            ("evaluate", dbname, args.repeat),
            ("naive", dbname, args.sample),
            ("matrix", dbname, args.repeat),
            ("cron", copies["cron"], 0),
            ("write", copies["write"], 0),
        ]
        passthrough = [arg for arg in odoo_args if not arg.startswith("-d") and arg != dbname]
        for step, db, arg in plan:
            say("step %s on %s", step, db)
            results[step] = spawn(step, db, passthrough, arg)
        results.update(results.pop("evaluate"))
    finally:
        for copy in copies.values():
            drop_database(copy)
    return results


def main(argv):
    def arguments(parser):
        parser.add_argument(
            "--repeat", type=int, default=3, help="timed runs of a), b) and the matrix (median)"
        )
        parser.add_argument("--sample", type=int, default=300, help="clients of the naive loop d)")
        parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
        parser.add_argument("--arg", type=int, help=argparse.SUPPRESS)

    _parser, args, odoo_args = command_line("./dev bench", __doc__, argv, arguments)
    dbname = config["db_name"]
    if args.step:
        print(json.dumps(run_step(args.step, dbname, args.arg), default=str))
        return 0
    started = time.monotonic()
    info, pg_version = dataset_info(dbname)
    results = bench(dbname, odoo_args, args)
    print_table(dbname, info, machine_info(pg_version), results)
    say("done in %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
