"""Build a realistic dataset for sales_roles benchmarks: ./dev populate [--clients N] [--orders M]

Runs on a database where sales_roles is installed (./dev populate makes one from the
base template). The reference data (users with sales roles, teams, products,
currency rates, pricelists, rules) is created through the ORM; the bulk (clients,
contacts, orders, lines) is loaded with set-based SQL, so that a million orders
take minutes. To keep those rows valid Odoo records, each table's row is cloned
from a prototype made by the ORM (every required column and default filled as
Odoo fills it) and only the columns that vary are computed, stored computed
fields included (amounts, commercial partner, invoice status...). The command
ends by recomputing a random sample through the ORM and fails on any
difference.

TODO: product managers and territories once the matrix feature is merged.
"""

import argparse
import contextlib
import logging
import sys
import time
from datetime import date, timedelta

import psycopg2.extras

import odoo
from odoo import SUPERUSER_ID, api
from odoo.cli import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL, config, float_compare

_logger = logging.getLogger("sales_roles.populate")

# Share of clients that never bought (prospects), of cancelled orders, of clients
# buying in euros; how far back orders go.
PROSPECT_SHARE = 0.2
CANCEL_SHARE = 0.12
EUR_SHARE = 0.2
HISTORY_DAYS = 730
# Lines per order: 1 to MAX_LINES.
MAX_LINES = 5
# The rules activated in the dataset (see _activate_rules).
BIG_CLIENT_AMOUNT = 50_000
SAMPLE_SIZE = 200


class SampleCheckError(Exception):
    pass


class _Rollback(Exception):
    pass


def rnd(key, salt):
    """A deterministic pseudo-random float in [0, 1) of an SQL integer expression.

    Hash-based rather than random(): the same seed gives the same dataset,
    whatever plan PostgreSQL picks.
    """
    return f"((hashint8extended(({key})::bigint, {salt}) & 2147483647)::float8 / 2147483648.0)"


def say(message, *args):
    print("[populate] " + (message % args if args else message), flush=True)


@contextlib.contextmanager
def timed(what):
    start = time.monotonic()
    yield
    say("%-44s %7.1f s", what, time.monotonic() - start)


def odoo_env(odoo_args):
    """Parse Odoo's options (-c, -d...) and return a registry of the database."""
    config.parse_config(odoo_args, setup_logging=True)
    dbname = config["db_name"]
    if not dbname or "," in dbname:
        raise SystemExit("give one database with -d")
    return Registry(dbname)


def superuser_env(cr):
    return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})


class Populate:
    def __init__(self, env, clients, orders, seed):
        self.env = env
        self.cr = env.cr
        self.n_clients = clients
        self.n_orders = orders
        self.seed = seed
        self.company = env.company

    # ------------------------------------------------------------
    # REFERENCE DATA (ORM)
    # ------------------------------------------------------------

    def reference_data(self):
        env = self.env
        self.usd = self.company.currency_id
        self.eur = env.ref("base.EUR")
        if self.eur == self.usd:
            self.eur = env.ref("base.USD")
        self.eur.active = True
        # A rate on the first of each month, from before the first order to now.
        today = date.today()
        months = HISTORY_DAYS // 30 + 2
        first = (today.replace(day=1) - timedelta(days=31 * months)).replace(day=1)
        rates, day = [], first
        while day <= today:
            rates.append({"currency_id": self.eur.id, "name": day, "rate": 0.88 + 0.005 * (len(rates) % 9)})
            day = (day + timedelta(days=32)).replace(day=1)
        env["res.currency.rate"].search([("currency_id", "=", self.eur.id)]).unlink()
        env["res.currency.rate"].create(rates)
        # Orders in euros need a pricelist in euros; the company's comes first.
        Pricelist = env["product.pricelist"]
        self.pricelist_usd = Pricelist.create({"name": "Public Pricelist", "currency_id": self.usd.id})
        self.pricelist_eur = Pricelist.create({"name": "Europe", "currency_id": self.eur.id, "sequence": 20})

        n_hunters = max(3, self.n_clients // 5000)
        n_farmers = max(2, self.n_clients // 10000)
        Users = env["res.users"].with_context(no_reset_password=True)
        salesman = env.ref("sales_team.group_sale_salesman")
        all_leads = env.ref("sales_team.group_sale_salesman_all_leads")
        hunter_positions = [
            env.ref("sales_roles.position_tele_sales"),
            env.ref("sales_roles.position_sales_rep"),
            env.ref("sales_roles.position_sales_manager"),
        ]
        farmer_positions = [
            env.ref("sales_roles.position_account_manager"),
            env.ref("sales_roles.position_key_account_manager"),
        ]
        self.hunters = Users.create(
            [
                {
                    "name": f"Hunter {i:02d}",
                    "login": f"bench_hunter_{i:02d}",
                    "email": f"hunter{i:02d}@example.com",
                    "groups_id": [(6, 0, salesman.ids)],
                    "sales_position_id": hunter_positions[i % len(hunter_positions)].id,
                }
                for i in range(1, n_hunters + 1)
            ]
        )
        self.farmers = Users.create(
            [
                {
                    "name": f"Farmer {i:02d}",
                    "login": f"bench_farmer_{i:02d}",
                    "email": f"farmer{i:02d}@example.com",
                    "groups_id": [(6, 0, all_leads.ids)],
                    "sales_position_id": farmer_positions[i % len(farmer_positions)].id,
                }
                for i in range(1, n_farmers + 1)
            ]
        )
        Team = env["crm.team"]
        self.hunter_team = Team.create({"name": "Acquisition", "member_ids": [(6, 0, self.hunters.ids)]})
        self.farmer_team = Team.create(
            {"name": "Account Management", "member_ids": [(6, 0, self.farmers.ids)]}
        )

        # Ten categories of twenty products, plus flagships; taxes are the
        # company's default sale tax.
        Category = env["product.category"]
        parent = env.ref("product.product_category_all")
        families = [
            "Bricks",
            "Timber",
            "Steel",
            "Tools",
            "Paint",
            "Glass",
            "Roofing",
            "Pipes",
            "Cables",
            "Tiles",
        ]
        categories = Category.create([{"name": name, "parent_id": parent.id} for name in families])
        flagship = env.ref("sales_roles.product_category_flagship")
        product_vals = [
            {
                "name": f"{category.name} #{i:02d}",
                "categ_id": category.id,
                "type": "consu",
                "invoice_policy": "order",
                "list_price": round(5 + ((idx * 7919) % 1000) * 1.37, 2),
            }
            for idx, (category, i) in enumerate((c, i) for c in categories for i in range(1, 21))
        ]
        product_vals += [
            {
                "name": f"Flagship #{i}",
                "categ_id": flagship.id,
                "type": "consu",
                "invoice_policy": "order",
                "list_price": 2500.0 + 500 * i,
            }
            for i in range(1, 6)
        ]
        self.products = env["product.product"].create(product_vals)
        self.tax = self.company.account_sale_tax_id
        if not self.tax or self.tax.amount_type != "percent" or self.tax.price_include:
            raise SystemExit("the company needs a default sale tax in percent, price excluded")
        env.flush_all()

    def prototypes(self):
        """One row per table as the ORM makes it: a client, a contact, a confirmed
        order with one line and the client's follower; rolled back once read."""
        env = self.env
        hunter = self.hunters[0]
        rows = {}
        with contextlib.suppress(_Rollback), self.cr.savepoint():
            Partner = env["res.partner"].with_context(tracking_disable=False, mail_create_nosubscribe=True)
            client = Partner.create(
                {
                    "name": "Prototype Ltd",
                    "is_company": True,
                    "user_id": hunter.id,
                    "team_id": self.hunter_team.id,
                    "email": "proto@example.com",
                    "city": "Springfield",
                    "country_id": env.ref("base.us").id,
                }
            )
            contact = Partner.create(
                {"name": "Pat Proto", "parent_id": client.id, "email": "pat@example.com"}
            )
            client.message_subscribe(partner_ids=hunter.partner_id.ids)
            order = env["sale.order"].create(
                {
                    "partner_id": contact.id,
                    "user_id": hunter.id,
                    "team_id": self.hunter_team.id,
                    "order_line": [(0, 0, {"product_id": self.products[0].id, "product_uom_qty": 1})],
                }
            )
            order.action_confirm()
            env.flush_all()
            rows["client"] = self._row("res_partner", client.id)
            rows["contact"] = self._row("res_partner", contact.id)
            rows["order"] = self._row("sale_order", order.id)
            rows["line"] = self._row("sale_order_line", order.order_line.id)
            follower = env["mail.followers"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", client.id),
                    ("partner_id", "=", hunter.partner_id.id),
                ]
            )
            rows["follower"] = self._row("mail_followers", follower.id)
            self.follower_subtypes = follower.subtype_ids.ids
            raise _Rollback
        env.invalidate_all(flush=False)
        self.proto = rows

    def _row(self, table, record_id):
        self.cr.execute(SQL("SELECT * FROM %s WHERE id = %s", SQL.identifier(table), record_id))
        columns = [desc[0] for desc in self.cr.description]
        return dict(zip(columns, self.cr.fetchone(), strict=True))

    # ------------------------------------------------------------
    # BULK DATA (SQL)
    # ------------------------------------------------------------

    @contextlib.contextmanager
    def bulk_mode(self):
        """Foreign keys unchecked while loading, as pg_restore does: a row's checks
        cost more than its insert. They are verified in bulk afterwards
        (check_foreign_keys). Needs a superuser database role."""
        self.cr.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            self.cr.execute("SET session_replication_role = DEFAULT")

    def check_foreign_keys(self):
        """One anti-join per foreign key of the loaded tables."""
        self.cr.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
              JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
             WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
               AND c.conrelid::regclass::text IN ('res_partner', 'sale_order', 'sale_order_line',
                                                  'mail_followers', 'account_tax_sale_order_line_rel')
            """
        )
        for table, column, target, target_column in self.cr.fetchall():
            self.cr.execute(
                SQL(
                    "SELECT %s FROM %s t WHERE %s IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM %s f WHERE f.%s = t.%s) LIMIT 1",
                    SQL.identifier(column),
                    SQL.identifier(table),
                    SQL.identifier(column),
                    SQL.identifier(target),
                    SQL.identifier(target_column),
                    SQL.identifier(column),
                )
            )
            if self.cr.rowcount:
                raise SystemExit(f"{table}.{column} = {self.cr.fetchone()[0]} is not in {target}")

    def _clone(self, table, proto, source, overrides):
        """INSERT INTO table SELECT ... FROM source: the prototype's value for every
        column but the overridden ones (SQL expressions on the source)."""
        self.cr.execute(
            SQL(
                """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped""",
                table,
            )
        )
        types = dict(self.cr.fetchall())
        unknown = set(overrides) - set(types)
        if unknown:
            raise SystemExit(f"{table} has no column {unknown}")
        columns, values = [], []
        for column, value in proto.items():
            columns.append(SQL.identifier(column))
            if column in overrides:
                values.append(SQL(overrides[column]))
            else:
                if isinstance(value, (dict, list)):
                    value = psycopg2.extras.Json(value)
                values.append(SQL("%s::" + types[column], value))
        self.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM %s",
                SQL.identifier(table),
                SQL(", ").join(columns),
                SQL(", ").join(values),
                SQL(source),
            )
        )
        return self.cr.rowcount

    def _reserve_ids(self, table, count):
        """The first of ``count`` new ids of ``table``; its sequence moves past them."""
        self.cr.execute(
            SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM %s), 1) + %s)",
                table,
                SQL.identifier(table),
                count,
            )
        )
        return self.cr.fetchone()[0] - count + 1

    def clients(self):
        """Clients (companies) with 0 to 2 contacts; prospects never buy, the others
        get a log-normal share of the orders (a few big clients, many small ones)."""
        n = self.n_clients
        hunters = self.hunters.ids
        self.client_base = self._reserve_ids("res_partner", 3 * n) - 1
        self.cr.execute(
            f"""
            CREATE TEMP TABLE bench_client ON COMMIT DROP AS
            WITH drawn AS (
                SELECT n,
                       CASE WHEN {rnd("n", self.seed + 1)} < {PROSPECT_SHARE} THEN 0.0
                            ELSE exp(1.3 * sqrt(-2 * ln(1 - {rnd("n", self.seed + 2)}))
                                         * cos(2 * pi() * {rnd("n", self.seed + 3)})) END AS weight,
                       (ARRAY{hunters})[1 + floor({rnd("n", self.seed + 4)} * {len(hunters)})::int]
                           AS user_id,
                       {rnd("n", self.seed + 5)} < {EUR_SHARE} AS eur
                  FROM generate_series(1, {n}) n
            ), cumulated AS (
                SELECT *, floor({self.n_orders} * SUM(weight) OVER (ORDER BY n)
                                / NULLIF(SUM(weight) OVER (), 0))::bigint AS hi
                  FROM drawn
            )
            SELECT n, {self.client_base} + n AS id, user_id, eur, mod(n, 3) AS contacts,
                   (ARRAY['Acme', 'Baltic', 'Cobalt', 'Delta', 'Evergreen', 'Falcon', 'Granite',
                          'Harbor', 'Iris', 'Juniper'])[1 + mod(n, 10)]
                   || ' ' || (ARRAY['Building', 'Supplies', 'Construction', 'Trading', 'Hardware',
                                    'Works', 'Materials'])[1 + mod(n / 10, 7)]
                   || ' ' || lpad(n::text, 6, '0')
                   || (ARRAY[' Ltd', ' Inc', ' GmbH', ' SA', ' LLC'])[1 + mod(n / 70, 5)] AS name,
                   COALESCE(LAG(hi) OVER (ORDER BY n), 0) AS lo,
                   CASE WHEN n = {n} THEN {self.n_orders} ELSE hi END AS hi
              FROM cumulated
            """
        )
        self.cr.execute("CREATE UNIQUE INDEX ON bench_client (n); ANALYZE bench_client")
        proto = self.proto["client"]
        pricelists = {"usd": self.pricelist_usd.id, "eur": self.pricelist_eur.id}
        company = self.company.id
        created = self._clone(
            "res_partner",
            proto,
            "bench_client c",
            {
                "id": "c.id",
                "name": "c.name",
                "complete_name": "c.name",
                "commercial_company_name": "c.name",
                "commercial_partner_id": "c.id",
                "user_id": "c.user_id",
                "email": "'client' || c.n || '@example.com'",
                "email_normalized": "'client' || c.n || '@example.com'",
                "ref": "'C' || lpad(c.n::text, 6, '0')",
                "specific_property_product_pricelist": (
                    f"""jsonb_build_object('{company}', CASE WHEN c.eur THEN {pricelists["eur"]}
                                                          ELSE {pricelists["usd"]} END)"""
                ),
                "sales_lifecycle_state": "'prospect'",
                "hunter_id": "NULL",
                "handover_date": "NULL",
                "create_date": f"now() - interval '{HISTORY_DAYS + 30} days'",
                "write_date": f"now() - interval '{HISTORY_DAYS + 30} days'",
            },
        )
        first_names = (
            "ARRAY['Anna', 'Boris', 'Chloe', 'David', 'Elena', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jon']"
        )
        last_names = "ARRAY['Ivanova', 'Martin', 'Smith', 'Dubois', 'Rossi', 'Novak', 'Berg', 'Silva']"
        created += self._clone(
            "res_partner",
            self.proto["contact"],
            "bench_client c CROSS JOIN LATERAL generate_series(1, c.contacts) k",
            {
                "id": f"{self.client_base} + {n} + 2 * (c.n - 1) + k",
                "name": (
                    f"({first_names})[1 + mod(c.n + k, 10)] || ' ' || ({last_names})[1 + mod(c.n * 3 + k, 8)]"
                ),
                "complete_name": (
                    f"c.name || ', ' || ({first_names})[1 + mod(c.n + k, 10)]"
                    f" || ' ' || ({last_names})[1 + mod(c.n * 3 + k, 8)]"
                ),
                "parent_id": "c.id",
                "commercial_partner_id": "c.id",
                "commercial_company_name": "c.name",
                "user_id": "c.user_id",
                "email": "'contact' || c.n || '.' || k || '@example.com'",
                "email_normalized": "'contact' || c.n || '.' || k || '@example.com'",
                "sales_lifecycle_state": "'prospect'",
                "hunter_id": "NULL",
                "handover_date": "NULL",
                "create_date": f"now() - interval '{HISTORY_DAYS + 30} days'",
                "write_date": f"now() - interval '{HISTORY_DAYS + 30} days'",
            },
        )
        # The salesperson follows the clients they own, as when Odoo creates them.
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_follower ON COMMIT DROP AS
                SELECT c.id AS res_id, u.partner_id
                  FROM bench_client c JOIN res_users u ON u.id = c.user_id
                """
            )
        )
        follower_base = self._reserve_ids("mail_followers", n) - 1
        self._clone(
            "mail_followers",
            self.proto["follower"],
            f"(SELECT row_number() OVER () + {follower_base} AS id, * FROM bench_follower) f",
            {"id": "f.id", "res_id": "f.res_id", "partner_id": "f.partner_id"},
        )
        for subtype_id in self.follower_subtypes:
            self.cr.execute(
                SQL(
                    """
                    INSERT INTO mail_followers_mail_message_subtype_rel
                                (mail_followers_id, mail_message_subtype_id)
                    SELECT id, %s FROM mail_followers WHERE id > %s
                    """,
                    subtype_id,
                    follower_base,
                )
            )
        return created

    def orders(self):
        """Orders of the clients (on the client or one of its contacts), their lines
        with quantities, prices and discounts, and the amounts Odoo computes."""
        n = self.n_clients
        hunters = self.hunters.ids
        tax_rate = self.tax.amount / 100
        now = "(now() AT TIME ZONE 'UTC')"
        self.order_base = self._reserve_ids("sale_order", self.n_orders) - 1
        self.cr.execute(
            f"""
            CREATE TEMP TABLE bench_order ON COMMIT DROP AS
            SELECT o.id AS n, {self.order_base} + o.id AS id, c.id AS client_id,
                   CASE WHEN c.contacts > 0 AND {rnd("o.id", self.seed + 11)} < 0.5
                        THEN {self.client_base} + {n} + 2 * (c.n - 1) + 1
                             + floor({rnd("o.id", self.seed + 12)} * c.contacts)::int
                        ELSE c.id END AS partner_id,
                   date_trunc('second',
                              {now} - {rnd("o.id", self.seed + 13)} * interval '{HISTORY_DAYS} days')
                       AS date_order,
                   CASE WHEN {rnd("o.id", self.seed + 14)} < {CANCEL_SHARE} THEN 'cancel' ELSE 'sale' END
                       AS state,
                   CASE WHEN {rnd("o.id", self.seed + 15)} < 0.9 THEN c.user_id
                        ELSE (ARRAY{hunters})[1 + floor({rnd("o.id", self.seed + 16)} * {len(hunters)})::int]
                   END AS user_id,
                   c.eur
              FROM bench_client c
              JOIN LATERAL generate_series(c.lo + 1, c.hi) o(id) ON TRUE
            """
        )
        self.cr.execute("CREATE UNIQUE INDEX ON bench_order (n); ANALYZE bench_order")
        # What Odoo stores: the rate of the order's date (the last one before it).
        self.cr.execute(
            SQL(
                """
                ALTER TABLE bench_order ADD COLUMN currency_rate numeric;
                UPDATE bench_order o
                   SET currency_rate = CASE WHEN NOT o.eur THEN 1.0 ELSE (
                        SELECT r.rate FROM res_currency_rate r
                         WHERE r.currency_id = %s AND r.name <= o.date_order::date
                      ORDER BY r.name DESC LIMIT 1) END
                """,
                self.eur.id,
            )
        )
        # The products with their list price and the line description Odoo gives them.
        products = self.products
        self.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_product ON COMMIT DROP AS
                SELECT *
                  FROM unnest(%s::int[], %s::int[], %s::numeric[], %s::text[]) AS t(idx, id, price, name)
                """,
                list(range(1, len(products) + 1)),
                products.ids,
                [product.list_price for product in products],
                [product.get_product_multiline_description_sale() for product in products],
            )
        )
        self.cr.execute(
            f"""
            CREATE TEMP TABLE bench_line ON COMMIT DROP AS
            WITH line AS (
                SELECT o.n AS order_n, k AS sequence,
                       1 + floor({rnd("o.n * 8 + k", self.seed + 22)} * {len(products)})::int AS product,
                       1 + floor({rnd("o.n * 8 + k", self.seed + 23)} * 20)::int AS qty,
                       CASE WHEN {rnd("o.n * 8 + k", self.seed + 24)} < 0.7 THEN 0
                            WHEN {rnd("o.n * 8 + k", self.seed + 25)} < 0.5 THEN 5 ELSE 10 END AS discount,
                       o.eur
                  FROM bench_order o
                  CROSS JOIN LATERAL generate_series(1, 1 + floor({rnd("o.n", self.seed + 21)}
                                                                  * {MAX_LINES})::int) k
            ), priced AS (
                SELECT line.*, p.id AS product_id, p.name AS product_name,
                       CASE WHEN eur THEN round(p.price * 0.9, 2) ELSE p.price END AS price_unit
                  FROM line JOIN bench_product p ON p.idx = line.product
            ), rounded AS (
                SELECT row_number() OVER (ORDER BY order_n, sequence) AS n, *,
                       round(qty * price_unit * (100 - discount) / 100, 2) AS subtotal
                  FROM priced
            )
            -- Odoo rounds per line (the company's setting): the tax is computed on
            -- the rounded subtotal.
            SELECT *, round(subtotal * {tax_rate}, 2) AS tax,
                   subtotal + round(subtotal * {tax_rate}, 2) AS total
              FROM rounded
            """
        )
        n_lines = self.cr.rowcount
        self.cr.execute("ANALYZE bench_line")
        self.cr.execute(
            """
            CREATE TEMP TABLE bench_order_amount ON COMMIT DROP AS
            SELECT order_n, SUM(subtotal) AS untaxed, SUM(tax) AS tax
              FROM bench_line GROUP BY order_n;
            CREATE UNIQUE INDEX ON bench_order_amount (order_n);
            -- the hunter of a client: the salesperson of its first confirmed order
            CREATE TEMP TABLE bench_hunter ON COMMIT DROP AS
            SELECT DISTINCT ON (client_id) client_id, user_id
              FROM bench_order WHERE state = 'sale' ORDER BY client_id, date_order, id;
            CREATE UNIQUE INDEX ON bench_hunter (client_id);
            """
        )
        self._clone(
            "sale_order",
            self.proto["order"],
            """bench_order o
               JOIN bench_order_amount a ON a.order_n = o.n
               LEFT JOIN bench_hunter h ON h.client_id = o.client_id""",
            {
                "id": "o.id",
                "name": "'S' || lpad(o.n::text, 5, '0')",
                "partner_id": "o.partner_id",
                "partner_invoice_id": "o.client_id",
                "partner_shipping_id": "o.partner_id",
                "user_id": "o.user_id",
                "team_id": str(self.hunter_team.id),
                "state": "o.state",
                "date_order": "o.date_order",
                "create_date": "o.date_order - interval '1 hour'",
                "write_date": "o.date_order",
                "validity_date": "(o.date_order + interval '30 days')::date",
                "currency_id": f"CASE WHEN o.eur THEN {self.eur.id} ELSE {self.usd.id} END",
                "pricelist_id": (
                    f"CASE WHEN o.eur THEN {self.pricelist_eur.id} ELSE {self.pricelist_usd.id} END"
                ),
                "currency_rate": "o.currency_rate",
                "amount_untaxed": "a.untaxed",
                "amount_tax": "a.tax",
                "amount_total": "a.untaxed + a.tax",
                "invoice_status": "CASE WHEN o.state = 'sale' THEN 'to invoice' ELSE 'no' END",
                "access_token": "NULL",
                # stamped as the addon's install stamps orders predating it
                "hunter_id": "CASE WHEN o.state = 'sale' THEN h.user_id END",
                "sales_lifecycle_state": "NULL",
                "signed_by": "NULL",
                "signed_on": "NULL",
            },
        )
        line_base = self._reserve_ids("sale_order_line", n_lines) - 1
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        self._clone(
            "sale_order_line",
            self.proto["line"],
            "bench_line l JOIN bench_order o ON o.n = l.order_n",
            {
                "id": f"{line_base} + l.n",
                "order_id": "o.id",
                "sequence": "10 * l.sequence",
                "currency_id": f"CASE WHEN o.eur THEN {self.eur.id} ELSE {self.usd.id} END",
                "order_partner_id": "o.partner_id",
                "salesman_id": "o.user_id",
                "product_id": "l.product_id",
                "name": "l.product_name",
                "state": "o.state",
                "product_uom_qty": "l.qty",
                "price_unit": "l.price_unit",
                "technical_price_unit": "l.price_unit",
                "discount": "l.discount",
                "price_subtotal": "l.subtotal",
                "price_total": "l.total",
                "price_tax": "(l.total - l.subtotal)::float8",
                "price_reduce_taxexcl": f"round(l.subtotal / l.qty, {price_digits})",
                "price_reduce_taxinc": f"round(l.total / l.qty, {price_digits})",
                "qty_to_invoice": "CASE WHEN o.state = 'sale' THEN l.qty ELSE 0 END",
                "untaxed_amount_to_invoice": "CASE WHEN o.state = 'sale' THEN l.subtotal ELSE 0 END",
                "invoice_status": "CASE WHEN o.state = 'sale' THEN 'to invoice' ELSE 'no' END",
                "create_date": "o.date_order - interval '1 hour'",
                "write_date": "o.date_order",
            },
        )
        self.cr.execute(
            SQL(
                """
                INSERT INTO account_tax_sale_order_line_rel (sale_order_line_id, account_tax_id)
                SELECT id, %s FROM sale_order_line WHERE id > %s
                """,
                self.tax.id,
                line_base,
            )
        )
        # Clients with orders are customers; the order sequence goes on after the last.
        self.cr.execute(
            "UPDATE res_partner p SET customer_rank = 1 FROM bench_hunter h WHERE p.id = h.client_id"
        )
        sequence = self.env["ir.sequence"].search([("code", "=", "sale.order")], limit=1)
        sequence.number_next = self.n_orders + 1
        return n_lines

    def finish(self):
        """Classify the clients as the addon does on an existing database."""
        self.env.invalidate_all()
        self.env["res.partner"]._classify_existing_clients()

    def activate_rules(self):
        env = self.env
        third = env.ref("sales_roles.handover_rule_third_order")
        third.write({"target_team_id": self.farmer_team.id, "active": True})
        total = env.ref("sales_roles.handover_rule_sales_total")
        total.write(
            {
                "name": f"Total sales reach {BIG_CLIENT_AMOUNT:,}",
                "target_team_id": self.farmer_team.id,
                "active": True,
            }
        )
        total.condition_ids.min_amount = BIG_CLIENT_AMOUNT
        env.ref("sales_roles.handover_rule_dormant").active = True
        env["sales.handover.rule"].create(
            {
                "name": "New client gone quiet for 180 days",
                "sequence": 95,
                "from_state": "new",
                "to_state": "dormant",
                "assign_method": "keep",
                "description": "A new client with no confirmed order for 180 days is marked dormant: "
                "its hunter gets a to-do to win it back.",
                "condition_ids": [(0, 0, {"criterion": "inactivity", "inactivity_days": 180})],
            }
        )
        env.flush_all()


# ------------------------------------------------------------
# SAMPLE CHECK
# ------------------------------------------------------------


def _stored_computed(model):
    """The read-only stored computed fields of ``model`` that live in its table."""
    return [
        name
        for name, field in model._fields.items()
        if field.store and field.compute and field.readonly and field.column_type and field.type != "binary"
    ]


def _fetch(cr, model, ids, fnames):
    cr.execute(
        SQL(
            "SELECT id, %s FROM %s WHERE id = ANY(%s)",
            SQL(", ").join(SQL.identifier(f) for f in fnames),
            SQL.identifier(model._table),
            list(ids),
        )
    )
    return {row[0]: row[1:] for row in cr.fetchall()}


def _recompute(env, model, ids, fnames):
    """Stored values, and the values the ORM computes now, of ``fnames``."""
    stored = _fetch(env.cr, model, ids, fnames)
    recomputed = {}
    with contextlib.suppress(_Rollback), env.cr.savepoint():
        records = model.browse(ids)
        env.invalidate_all()
        for fname in fnames:
            env.add_to_compute(model._fields[fname], records)
        env.flush_all()
        recomputed = _fetch(env.cr, model, ids, fnames)
        raise _Rollback
    env.invalidate_all(flush=False)
    return stored, recomputed


def _same(a, b):
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        if a is None or b is None:
            return (a or 0) == (b or 0)
        return float_compare(float(a), float(b), precision_digits=6) == 0
    return a == b


def check_sample(env, size=SAMPLE_SIZE):
    """Recompute a random sample through the ORM; return the differences."""
    cr = env.cr
    problems = []

    def compare(model, ids):
        fnames = _stored_computed(model)
        stored, recomputed = _recompute(env, model, ids, fnames)
        for record_id in ids:
            for fname, old, new in zip(fnames, stored[record_id], recomputed[record_id], strict=True):
                if not _same(old, new):
                    problems.append(
                        f"{model._name}({record_id}).{fname}: stored {old!r}, ORM computes {new!r}"
                    )
        return len(ids)

    cr.execute(SQL("SELECT id FROM sale_order ORDER BY random() LIMIT %s", size))
    order_ids = [row[0] for row in cr.fetchall()]
    cr.execute(SQL("SELECT id FROM sale_order_line WHERE order_id = ANY(%s)", order_ids))
    line_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        SQL("SELECT id FROM res_partner WHERE id > 10 AND NOT is_company ORDER BY random() LIMIT %s", size)
    )
    contact_ids = [row[0] for row in cr.fetchall()]
    cr.execute(SQL("SELECT id FROM res_partner WHERE is_company ORDER BY random() LIMIT %s", size))
    client_ids = [row[0] for row in cr.fetchall()]

    counts = {
        "lines": compare(env["sale.order.line"], line_ids),
        "orders": compare(env["sale.order"], order_ids),
        "partners": compare(env["res.partner"], client_ids + contact_ids),
    }

    # Lifecycle as the addon defines it: a client with a confirmed order is a new
    # client whose hunter is the salesperson of its first confirmed order.
    Order = env["sale.order"]
    for client in env["res.partner"].browse(client_ids):
        confirmed = Order.search(
            [("partner_id", "child_of", client.id), ("state", "=", "sale")], order="date_order, id"
        )
        want = ("new", confirmed[:1].user_id) if confirmed else ("prospect", env["res.users"])
        if (client.sales_lifecycle_state, client.hunter_id) != want:
            problems.append(
                f"{client.display_name}: state {client.sales_lifecycle_state}, "
                f"hunter {client.hunter_id.name}, "
                f"expected {want[0]} {want[1].name} ({len(confirmed)} confirmed orders)"
            )
        for contact in client.child_ids:
            if contact.sales_lifecycle_state != client.sales_lifecycle_state:
                problems.append(f"{contact.display_name}: state differs from its company's")
        wrong = confirmed.filtered(lambda o, c=client: o.hunter_id != c.hunter_id)
        if wrong:
            problems.append(f"{client.display_name}: orders {wrong.ids[:5]} are not stamped with its hunter")
    counts["clients (lifecycle)"] = len(client_ids)
    return counts, problems


# ------------------------------------------------------------
# COMMAND
# ------------------------------------------------------------


def vacuum_analyze(dbname, tables):
    """VACUUM needs its own connection outside a transaction."""
    db = odoo.sql_db.db_connect(dbname)
    with contextlib.closing(db.cursor()) as cr:
        cr._cnx.autocommit = True
        for table in tables:
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))


def summary(cr):
    cr.execute(
        """
        SELECT (SELECT COUNT(*) FROM res_partner WHERE is_company AND id = commercial_partner_id
                   AND id NOT IN (SELECT partner_id FROM res_company)),
               (SELECT COUNT(*) FROM res_partner WHERE parent_id IS NOT NULL),
               (SELECT COUNT(*) FROM sale_order WHERE state = 'sale'),
               (SELECT COUNT(*) FROM sale_order WHERE state = 'cancel'),
               (SELECT COUNT(*) FROM sale_order_line),
               (SELECT COUNT(*) FROM sale_order o
                  JOIN res_currency c ON c.id = o.currency_id WHERE c.name = 'EUR')
        """
    )
    clients, contacts, confirmed, cancelled, lines, eur = cr.fetchone()
    cr.execute(
        """SELECT sales_lifecycle_state, COUNT(*) FROM res_partner
            WHERE is_company AND id = commercial_partner_id
              AND id NOT IN (SELECT partner_id FROM res_company)
         GROUP BY 1 ORDER BY 1"""
    )
    states = ", ".join(f"{state} {count}" for state, count in cr.fetchall())
    say(
        "%s clients (%s), %s contacts; %s confirmed and %s cancelled orders (%s in EUR), %s lines",
        clients,
        states,
        contacts,
        confirmed,
        cancelled,
        eur,
        lines,
    )


class SalesRolesPopulate(Command):
    """Build the sales_roles benchmark dataset"""

    name = "sales_roles_populate"

    def run(self, cmdargs):
        parser = argparse.ArgumentParser(prog="./dev populate", description=__doc__.split("\n")[0])
        parser.add_argument("--clients", type=int, default=2000, help="commercial clients (default 2000)")
        parser.add_argument("--orders", type=int, default=20000, help="sale orders (default 20000)")
        parser.add_argument("--seed", type=int, default=42)
        args, odoo_args = parser.parse_known_args(cmdargs)
        if args.clients < 10 or args.orders < args.clients:
            parser.error("need at least 10 clients and as many orders as clients")
        registry = odoo_env(odoo_args)
        started = time.monotonic()
        say("%s clients, %s orders into %s", args.clients, args.orders, registry.db_name)
        with registry.cursor() as cr:
            populate = Populate(superuser_env(cr), args.clients, args.orders, args.seed)
            with timed("users, teams, products, rates (ORM)"):
                populate.reference_data()
                populate.prototypes()
            with populate.bulk_mode():
                with timed("clients and contacts (SQL)"):
                    populate.clients()
                with timed("orders and lines (SQL)"):
                    populate.orders()
            with timed("foreign keys of the new rows"):
                populate.check_foreign_keys()
            with timed("classify clients (_classify_existing_clients)"):
                populate.finish()
            populate.activate_rules()
        with timed("vacuum analyze"):
            vacuum_analyze(
                registry.db_name, ["res_partner", "sale_order", "sale_order_line", "mail_followers"]
            )
        with registry.cursor() as cr:
            summary(cr)
            with timed("sample check (ORM recompute)"):
                counts, problems = check_sample(superuser_env(cr))
            cr.rollback()
        say("dataset built in %.0f s", time.monotonic() - started)
        if problems:
            for problem in problems[:30]:
                say("MISMATCH %s", problem)
            say("sample check FAILED: %s differences", len(problems))
            return 1
        say("sample check passed: %s", ", ".join(f"{count} {what}" for what, count in counts.items()))
        return 0


if __name__ == "__main__":
    sys.exit(SalesRolesPopulate().run(sys.argv[1:]))
