"""Plumbing shared by the tools that run on an Odoo database (populate.py, bench.py).

Their command line (the tool's own options, then Odoo's: -c, -d, --log-level...),
superuser environments, cursors outside a transaction, timing and printing.
"""

import argparse
import contextlib
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, config

# The clients of a dataset: the companies that are their own commercial partner,
# less the partners of the database's companies.
CLIENTS = SQL("is_company AND id = commercial_partner_id AND id NOT IN (SELECT partner_id FROM res_company)")


def reporter(tag, stream=None):
    """``say(message, *args)``: print ``[tag] message % args`` on ``stream``
    (standard output by default), flushed at once."""

    def say(message, *args):
        print(f"[{tag}] " + (message % args if args else message), file=stream or sys.stdout, flush=True)

    return say


@contextlib.contextmanager
def timed(say, what):
    """Say how long the block took, in a column."""
    start = time.monotonic()
    yield
    say("%-44s %7.1f s", what, time.monotonic() - start)


def command_line(prog, doc, cmdargs, add_arguments):
    """Parse the tool's options, declared by ``add_arguments(parser)``, and hand
    the others to Odoo's configuration (which also sets up its logging).

    :return: (parser, the tool's options, Odoo's arguments)
    """
    parser = argparse.ArgumentParser(prog=prog, description=doc.strip().split("\n")[0])
    add_arguments(parser)
    args, odoo_args = parser.parse_known_args(cmdargs)
    config.parse_config(odoo_args, setup_logging=True)
    return parser, args, odoo_args


def database():
    """The one database given with -d."""
    dbname = config["db_name"]
    if not dbname or "," in dbname:
        raise SystemExit("give one database with -d")
    return dbname


def superuser_env(cr, **context):
    return api.Environment(cr, SUPERUSER_ID, context)


@contextlib.contextmanager
def autocommit_cursor(dbname):
    """A cursor outside any transaction, for what cannot run in one (VACUUM,
    CREATE / DROP DATABASE)."""
    with contextlib.closing(odoo.sql_db.db_connect(dbname).cursor()) as cr:
        cr._cnx.autocommit = True
        yield cr
