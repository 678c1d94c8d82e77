"""Fixtures of the repository-level tests: running ./dev, reading the Odoo
configuration that `./dev test` exports, and plain SQL on its cluster."""

import configparser
import os
import subprocess
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def odoo_conf():
    """The [options] of the Odoo configuration of the running `./dev test`."""
    path = os.environ.get("SALES_ROLES_CONF")
    if not path:
        pytest.skip("needs the cluster of ./dev test")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return {"path": path, **parser["options"]}


@pytest.fixture(scope="session")
def sql(odoo_conf):
    """``sql(dbname, query, params=None, host=None)``: one statement in autocommit
    (CREATE / DROP DATABASE too) on the cluster of ./dev test, or on the one whose
    socket folder is ``host``; returns its rows, or None when it has none."""

    def run(dbname, query, params=None, host=None):
        conn = psycopg2.connect(
            dbname=dbname,
            host=str(host or odoo_conf["db_host"]),
            port=odoo_conf["db_port"],
            user=odoo_conf["db_user"],
        )
        conn.autocommit = True  # not `with conn`: it would open a transaction
        try:
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()

    return run


@pytest.fixture(scope="session")
def dev():
    """``dev(*args, env=None, timeout=900, check=True)``: run ./dev from the
    repository's root, without standard input, the environment overridden by
    ``env``; fails the test (with the end of its output) when it fails and
    ``check`` is set. Returns the completed process."""

    def run(*args, env=None, timeout=900, check=True):
        proc = subprocess.run(
            [str(ROOT / "dev"), *args],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert proc.returncode == 0, (
                f"./dev {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        return proc

    return run
