"""Install, upgrade, uninstall and reinstall sales_roles with Odoo's own command line.

Runs inside `./dev test`, which exports where the cluster, the configuration and
the base database (sale_management without the addon) are. Each step is a real
`odoo-bin` process on a scratch copy of the base database; the install log of the
test database must be free of warnings.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CONF = os.environ.get("SALES_ROLES_CONF")
RUN = Path(os.environ.get("SALES_ROLES_RUN", "."))
BASE_DB = os.environ.get("SALES_ROLES_BASE_DB")
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo18")
CYCLE_DB = "sales_roles_install_cycle"
PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)

pytestmark = pytest.mark.skipif(not (CONF and BASE_DB), reason="needs the cluster of ./dev test")


@pytest.fixture(scope="module")
def odoo_bin(odoo_conf):
    """``odoo_bin(*args, stdin=None)``: odoo-bin on the scratch database; returns its
    log, failing on any warning."""
    return lambda *args, stdin=None: _odoo(odoo_conf["path"], *args, stdin=stdin)


def _odoo(conf, *args, stdin=None):
    log = RUN / f"{CYCLE_DB}.log"
    log.unlink(missing_ok=True)
    subcommand = [args[0]] if args and not args[0].startswith("-") else []
    options = args[len(subcommand) :]
    proc = subprocess.run(
        [
            sys.executable,
            f"{ODOO_SRC}/odoo-bin",
            *subcommand,
            "-c",
            conf,
            "-d",
            CYCLE_DB,
            f"--logfile={log}",
            *options,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    text = log.read_text() if log.exists() else ""
    assert proc.returncode == 0, f"odoo-bin {' '.join(args)} failed:\n{proc.stderr}\n{text[-3000:]}"
    problems = PROBLEM.findall(text) and [line for line in text.splitlines() if PROBLEM.match(line)]
    assert not problems, "Odoo logged:\n" + "\n".join(problems)
    return text


@pytest.fixture(scope="module")
def cycle_db(sql):
    sql("postgres", f'DROP DATABASE IF EXISTS "{CYCLE_DB}" WITH (FORCE)')
    sql("postgres", f'CREATE DATABASE "{CYCLE_DB}" TEMPLATE "{BASE_DB}"')
    yield CYCLE_DB
    sql("postgres", f'DROP DATABASE IF EXISTS "{CYCLE_DB}" WITH (FORCE)')


def test_test_database_install_log_is_clean():
    log = (RUN / "test-install.log").read_text()
    assert "Modules loaded." in log
    assert not PROBLEM.search(log), PROBLEM.search(log)


def test_install_upgrade_uninstall_reinstall(cycle_db, odoo_bin, sql):
    def _module_state():
        rows = sql(cycle_db, "SELECT state FROM ir_module_module WHERE name = 'sales_roles'")
        return rows[0][0] if rows else None

    odoo_bin("-i", "sales_roles", "--stop-after-init")
    assert _module_state() == "installed"
    assert sql(cycle_db, "SELECT COUNT(*) FROM sales_position")[0][0] == 11
    # Upgrading keeps data the user changed in noupdate records.
    sql(cycle_db, "UPDATE sales_position SET active = false WHERE id = (SELECT MIN(id) FROM sales_position)")
    odoo_bin("-u", "sales_roles", "--stop-after-init")
    assert _module_state() == "installed"
    assert sql(cycle_db, "SELECT COUNT(*) FROM sales_position WHERE NOT active")[0][0] == 1

    # The handover log restricts deleting what it names, the shipped rules among them:
    # uninstalling must still remove everything.
    odoo_bin(
        "shell",
        "--no-http",
        stdin="admin = env.ref('base.user_admin')\n"
        "client = env['res.partner'].create({'name': 'Audited Client', 'is_company': True})\n"
        "env['sales.handover'].create({'partner_id': client.id, 'from_user_id': admin.id, "
        "'to_user_id': admin.id, 'from_state': 'new', 'to_state': 'regular', "
        "'rule_id': env.ref('sales_roles.handover_rule_third_order').id})\n"
        "env['ir.module.module'].search([('name', '=', 'sales_roles')]).button_immediate_uninstall()\n"
        "env.cr.commit()\n",
    )
    assert _module_state() == "uninstalled"
    leftovers = {
        "tables": "SELECT tablename FROM pg_tables WHERE tablename LIKE 'sales\\_%%'",
        "partner columns": "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'res_partner' "
        "AND column_name IN ('sales_lifecycle_state', 'hunter_id', 'handover_blocked', 'handover_date')",
        "crons": "SELECT id FROM ir_cron WHERE cron_name::text LIKE '%%Sales Roles%%'",
        "record rules": "SELECT r.id FROM ir_rule r LEFT JOIN ir_model m ON m.id = r.model_id "
        "WHERE m.id IS NULL OR m.model LIKE 'sales.%%'",
        "xml ids": "SELECT name FROM ir_model_data WHERE module = 'sales_roles'",
        "menus": "SELECT id FROM ir_ui_menu WHERE action LIKE 'ir.actions.act_window,%%' AND "
        "NOT EXISTS (SELECT 1 FROM ir_act_window a WHERE 'ir.actions.act_window,' || a.id = action)",
    }
    for what, query in leftovers.items():
        assert sql(cycle_db, query) == [], f"uninstall left {what}"

    odoo_bin("-i", "sales_roles", "--stop-after-init")
    assert _module_state() == "installed"
    assert sql(cycle_db, "SELECT COUNT(*) FROM sales_handover_rule")[0][0] == 5


def test_upgrade_from_before_proposals(cycle_db, odoo_bin, sql):
    """Logs made before handover proposals existed become done when the upgrade adds
    their status; the approvers' to-dos do not hold an uninstall back."""

    def _module_state():
        rows = sql(cycle_db, "SELECT state FROM ir_module_module WHERE name = 'sales_roles'")
        return rows[0][0] if rows else None

    if _module_state() != "installed":
        odoo_bin("-i", "sales_roles", "--stop-after-init")
    odoo_bin(
        "shell",
        "--no-http",
        stdin="admin = env.ref('base.user_admin')\n"
        "client = env['res.partner'].create({'name': 'Logged Before', 'is_company': True})\n"
        "env['sales.handover'].create({'partner_id': client.id, 'from_user_id': admin.id, "
        "'to_user_id': admin.id, 'from_state': 'new', 'to_state': 'regular', 'reason': 'Old log'})\n"
        "env.cr.commit()\n",
    )
    # The schema of the addon before proposals: no status, no decision.
    sql(
        cycle_db,
        "ALTER TABLE sales_handover DROP COLUMN state, DROP COLUMN decided_by_id, DROP COLUMN decided_date",
    )
    odoo_bin("-u", "sales_roles", "--stop-after-init")
    assert sql(cycle_db, "SELECT DISTINCT state FROM sales_handover") == [("done",)]
    assert sql(
        cycle_db, "SELECT 1 FROM pg_indexes WHERE indexname = 'sales_handover_pending_proposal_index'"
    ) == [(1,)]

    odoo_bin(
        "shell",
        "--no-http",
        stdin="rule = env.ref('sales_roles.handover_rule_third_order')\n"
        "rule.write({'active': True, 'approval_required': True, 'target_user_ids': "
        "[(6, 0, env.ref('base.user_admin').ids)]})\n"
        "rule.activity_schedule('sales_roles.mail_activity_type_handover_proposals', "
        "user_id=env.ref('base.user_admin').id, summary='1 client proposed')\n"
        "env['ir.module.module'].search([('name', '=', 'sales_roles')]).button_immediate_uninstall()\n"
        "env.cr.commit()\n",
    )
    assert _module_state() == "uninstalled"
    assert sql(cycle_db, "SELECT id FROM mail_activity WHERE res_model = 'sales.handover.rule'") == []
    assert sql(cycle_db, "SELECT id FROM mail_activity_type WHERE res_model = 'sales.handover.rule'") == []
