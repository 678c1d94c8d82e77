"""Build a realistic dataset for sales_roles benchmarks: ./dev populate [--clients N] [--orders M]

Runs on a database where sales_roles is installed (./dev populate makes one from the
base template). The reference data (users with sales roles, teams, products and
their product managers, territories and their managers, currency rates,
pricelists, rules) is created through the ORM; the bulk (clients, contacts,
orders, lines) is loaded with set-based SQL, so that a million orders take
minutes. To keep those rows valid Odoo records, each table's row is cloned from a
prototype made by the ORM (every required column and default filled as Odoo fills
it) and only the columns that vary are computed, stored computed fields included
(amounts, commercial partner, invoice status, product manager, territory...). The
clients are then classified by the addon's own _classify_existing_clients, and
their confirmed orders credited to their hunter as the addon's scheduled action
does after an install. The command ends by
recomputing a random sample through the ORM and fails on any difference.
"""

import contextlib
import sys
import time
from datetime import date, timedelta

import psycopg2.extras
from _common import CLIENTS, autocommit_cursor, command_line, database, reporter, superuser_env, timed

from odoo.modules.registry import Registry
from odoo.tools import SQL, date_utils, float_compare

say = reporter("populate")

# Share of clients that never bought (prospects), of cancelled orders, of clients
# buying in euros; how far back orders go.
PROSPECT_SHARE = 0.2
CANCEL_SHARE = 0.12
EUR_SHARE = 0.2
HISTORY_DAYS = 730
# Lines per order: 1 to MAX_LINES.
MAX_LINES = 5
# The rules activated in the dataset (see activate_rules).
BIG_CLIENT_AMOUNT = 50_000
# Clients bought from for more than a year with 3+ orders were handed over to a
# farmer then: regular clients, KEY_SHARE of them key accounts.
FARMED_AFTER_DAYS = 365
KEY_SHARE = 0.05
# Touches of the last year on each client: 1 to MAX_TOUCHES messages, half of them
# activities marked done (a call), half notes by its owner.
TOUCH_DAYS = 365
MAX_TOUCHES = 5
# Pending handover proposals (row h of the benchmark), of a rule asking for approval.
PROPOSALS = 500
TARGET_QUARTERS = 4
SAMPLE_SIZE = 200

# Ten categories of twenty products; the first seven have a product manager,
# and the products numbered 1 and 11 of each category have their own.
FAMILIES = ["Bricks", "Timber", "Steel", "Tools", "Paint", "Glass", "Roofing", "Pipes", "Cables", "Tiles"]
MANAGED_FAMILIES = 7
PRODUCT_MANAGERS = 3

# Where the clients are (country, state, city), drawn evenly. The territories
# below cover most of it: a state beats a country, a territory its region;
# Florida, Italy and Spain fall to their region only, Brazil to no territory.
ADDRESSES = [
    ("US", "CA", "Los Angeles"),
    ("US", "CA", "San Francisco"),
    ("US", "WA", "Seattle"),
    ("US", "OR", "Portland"),
    ("US", "NY", "New York"),
    ("US", "NJ", "Newark"),
    ("US", "MA", "Boston"),
    ("US", "TX", "Houston"),
    ("US", "IL", "Chicago"),
    ("US", "FL", "Miami"),
    ("CA", "ON", "Toronto"),
    ("CA", "QC", "Montreal"),
    ("DE", None, "Berlin"),
    ("AT", None, "Vienna"),
    ("CH", None, "Zurich"),
    ("FR", None, "Lyon"),
    ("IT", None, "Milan"),
    ("ES", None, "Madrid"),
    ("BR", None, "Sao Paulo"),
]
# region: (its countries, {territory: (countries, US states)})
TERRITORIES = {
    "North America": (
        ["US", "CA"],
        {
            "West Coast": ([], ["CA", "OR", "WA"]),
            "East Coast": ([], ["NY", "NJ", "MA"]),
            "Central": ([], ["TX", "IL"]),
            "Canada": (["CA"], []),
        },
    ),
    "Europe": (
        ["DE", "AT", "CH", "FR", "IT", "ES"],
        {"DACH": (["DE", "AT", "CH"], []), "France": (["FR"], [])},
    ),
}
# The bulk is written without tracking messages, as a data import would.
CONTEXT = {"tracking_disable": True, "mail_create_nolog": True}


class _Rollback(Exception):
    pass


@contextlib.contextmanager
def rolled_back(env):
    """Run the block in a savepoint that is always rolled back; the caches forget it."""
    with contextlib.suppress(_Rollback), env.cr.savepoint():
        yield
        raise _Rollback
    env.invalidate_all(flush=False)


def rnd(key, salt):
    """A deterministic pseudo-random float in [0, 1) of an SQL integer expression.

    Hash-based rather than random(): the same seed gives the same dataset,
    whatever plan PostgreSQL picks.
    """
    return SQL("((hashint8extended((%s)::bigint, %s) & 2147483647)::float8 / 2147483648.0)", key, salt)


def pick(array, draw):
    """The element of an SQL array (a Python list) that a draw in [0, 1) picks."""
    return SQL("(%s)[1 + floor(%s * %s)::int]", array, draw, len(array))


class Populate:
    def __init__(self, env, clients, orders, seed):
        self.env = env
        self.cr = env.cr
        self.n_clients = clients
        self.n_orders = orders
        self.seed = seed
        self.company = env.company

    def execute(self, query, *args, **kwargs):
        """Run an SQL statement; return its row count."""
        self.cr.execute(SQL(query, *args, **kwargs))
        return self.cr.rowcount

    # ------------------------------------------------------------
    # REFERENCE DATA (ORM)
    # ------------------------------------------------------------

    def reference_data(self):
        self._currencies()
        self._sales_organisation()
        self._products()
        self._territories()
        self.env.flush_all()

    def _currencies(self):
        """Euros at a rate on the first of each month, from before the first order
        to now; a pricelist per currency, the company's first."""
        env = self.env
        self.usd = self.company.currency_id
        self.eur = env.ref("base.EUR")
        if self.eur == self.usd:
            self.eur = env.ref("base.USD")
        self.eur.active = True
        today = date.today()
        months = HISTORY_DAYS // 30 + 2
        first = (today.replace(day=1) - timedelta(days=31 * months)).replace(day=1)
        rates, day = [], first
        while day <= today:
            rates.append({"currency_id": self.eur.id, "name": day, "rate": 0.88 + 0.005 * (len(rates) % 9)})
            day = (day + timedelta(days=32)).replace(day=1)
        env["res.currency.rate"].search([("currency_id", "=", self.eur.id)]).unlink()
        env["res.currency.rate"].create(rates)
        Pricelist = env["product.pricelist"]
        self.pricelist_usd = Pricelist.create({"name": "Public Pricelist", "currency_id": self.usd.id})
        self.pricelist_eur = Pricelist.create({"name": "Europe", "currency_id": self.eur.id, "sequence": 20})

    def _users(self, title, count, group, positions):
        """``count`` users "<title> 01"... with ``group``, their positions taken in turn."""
        key = title.lower().replace(" ", "_")
        return (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                [
                    {
                        "name": f"{title} {i:02d}",
                        "login": f"bench_{key}_{i:02d}",
                        "email": f"{key}{i:02d}@example.com",
                        "groups_id": [(6, 0, self.env.ref(group).ids)],
                        "sales_position_id": self.env.ref(positions[i % len(positions)]).id,
                    }
                    for i in range(1, count + 1)
                ]
            )
        )

    def _sales_organisation(self):
        """Hunters in an acquisition team, farmers in the account management team."""
        self.hunters = self._users(
            "Hunter",
            max(3, self.n_clients // 5000),
            "sales_team.group_sale_salesman",
            [
                "sales_roles.position_tele_sales",
                "sales_roles.position_sales_rep",
                "sales_roles.position_sales_manager",
            ],
        )
        self.farmers = self._users(
            "Farmer",
            max(2, self.n_clients // 10000),
            "sales_team.group_sale_salesman_all_leads",
            ["sales_roles.position_account_manager", "sales_roles.position_key_account_manager"],
        )
        Team = self.env["crm.team"]
        self.hunter_team = Team.create({"name": "Acquisition", "member_ids": [(6, 0, self.hunters.ids)]})
        self.farmer_team = Team.create(
            {"name": "Account Management", "member_ids": [(6, 0, self.farmers.ids)]}
        )

    def _products(self):
        """The categories of FAMILIES with twenty products each, plus flagships;
        product managers on categories and on some products. Taxes are the
        company's default sale tax."""
        env = self.env
        managers = self._users(
            "Product Manager",
            PRODUCT_MANAGERS,
            "sales_team.group_sale_salesman",
            ["sales_roles.position_product_manager"],
        )
        parent = env.ref("product.product_category_all")
        categories = env["product.category"].create(
            [
                {
                    "name": name,
                    "parent_id": parent.id,
                    "product_manager_id": managers[i % len(managers)].id if i < MANAGED_FAMILIES else False,
                }
                for i, name in enumerate(FAMILIES)
            ]
        )
        product_vals = [
            {
                "name": f"{category.name} #{i:02d}",
                "categ_id": category.id,
                "type": "consu",
                "invoice_policy": "order",
                "list_price": round(5 + ((idx * 7919) % 1000) * 1.37, 2),
                "product_manager_id": managers[(idx + 1) % len(managers)].id if i % 10 == 1 else False,
            }
            for idx, (category, i) in enumerate((c, i) for c in categories for i in range(1, 21))
        ]
        product_vals += [
            {
                "name": f"Flagship #{i}",
                "categ_id": env.ref("sales_roles.product_category_flagship").id,
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

    def _territories(self):
        """The regions and territories of TERRITORIES, each with its manager, and the
        clients' addresses (ADDRESSES) as records."""
        env = self.env
        Country = env["res.country"].with_context(active_test=False)
        countries = {c.code: c for c in Country.search([("code", "in", [a[0] for a in ADDRESSES])])}
        states = {
            (s.country_id.code, s.code): s
            for s in env["res.country.state"].search(
                [("country_id", "in", [c.id for c in countries.values()])]
            )
        }
        n_territories = sum(len(children) for _countries, children in TERRITORIES.values())
        regional = self._users(
            "Regional Manager",
            len(TERRITORIES),
            "sales_team.group_sale_salesman",
            ["sales_roles.position_regional_manager"],
        )
        local = self._users(
            "Territory Manager",
            n_territories,
            "sales_team.group_sale_salesman",
            ["sales_roles.position_territory_manager"],
        )
        Territory = env["sales.territory"]
        managers = iter(local)
        for regional_manager, (region, (region_countries, children)) in zip(
            regional, TERRITORIES.items(), strict=True
        ):
            parent = Territory.create(
                {
                    "name": region,
                    "manager_id": regional_manager.id,
                    "country_ids": [(6, 0, [countries[code].id for code in region_countries])],
                }
            )
            Territory.create(
                [
                    {
                        "name": name,
                        "parent_id": parent.id,
                        "manager_id": next(managers).id,
                        "country_ids": [(6, 0, [countries[code].id for code in territory_countries])],
                        "state_ids": [(6, 0, [states["US", code].id for code in us_states])],
                    }
                    for name, (territory_countries, us_states) in children.items()
                ]
            )
        self.addresses = [
            {
                "country_id": countries[country].id,
                "state_id": states[country, state].id if state else False,
                "city": city,
            }
            for country, state, city in ADDRESSES
        ]

    # ------------------------------------------------------------
    # PROTOTYPES (ORM, rolled back)
    # ------------------------------------------------------------

    def prototypes(self):
        """The rows the ORM makes, read then rolled back: a client per address, a
        contact, a confirmed order with a line per product, the client's follower."""
        env = self.env
        hunter = self.hunters[0]
        rows = {}
        with rolled_back(env):
            Partner = env["res.partner"].with_context(tracking_disable=False, mail_create_nosubscribe=True)
            clients = Partner.create(
                [
                    {
                        "name": "Prototype Ltd",
                        "is_company": True,
                        "user_id": hunter.id,
                        "team_id": self.hunter_team.id,
                        "email": "proto@example.com",
                        **address,
                    }
                    for address in self.addresses
                ]
            )
            client = clients[0]
            contact = Partner.create(
                {"name": "Pat Proto", "parent_id": client.id, "email": "pat@example.com"}
            )
            client.message_subscribe(partner_ids=hunter.partner_id.ids)
            order = env["sale.order"].create(
                {
                    "partner_id": contact.id,
                    "user_id": hunter.id,
                    "team_id": self.hunter_team.id,
                    "order_line": [(0, 0, {"product_id": p.id, "product_uom_qty": 1}) for p in self.products],
                }
            )
            order.action_confirm()
            env.flush_all()
            rows["client"] = self._row("res_partner", client.id)
            rows["contact"] = self._row("res_partner", contact.id)
            rows["order"] = self._row("sale_order", order.id)
            rows["line"] = self._row("sale_order_line", order.order_line[0].id)
            rows["addresses"] = [self._row("res_partner", c.id) for c in clients]
            # What the ORM gives each product's lines: description and manager.
            rows["products"] = {
                line.product_id.id: (line.name, line.product_manager_id.id or None)
                for line in order.order_line
            }
            follower = env["mail.followers"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", client.id),
                    ("partner_id", "=", hunter.partner_id.id),
                ]
            )
            rows["follower"] = self._row("mail_followers", follower.id)
            self.follower_subtypes = follower.subtype_ids.ids
            # Touches as Odoo records them: the message of an activity marked done
            # (mail.activity.action_feedback) and a note by the owner.
            activity = env["mail.activity"].create(
                {
                    "res_model_id": env["ir.model"]._get_id("res.partner"),
                    "res_id": client.id,
                    "activity_type_id": env.ref("mail.mail_activity_data_call").id,
                    "user_id": hunter.id,
                }
            )
            messages = client.message_ids
            activity.with_user(hunter).action_feedback(feedback="Called: next order in a month.")
            rows["activity_message"] = self._row("mail_message", (client.message_ids - messages).id)
            note = client.with_user(hunter).message_post(
                body="Visited the yard: they plan an extension.",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            rows["note"] = self._row("mail_message", note.id)
        self.proto = rows

    def _row(self, table, record_id):
        self.execute("SELECT * FROM %s WHERE id = %s", SQL.identifier(table), record_id)
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
        self.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            self.execute("SET session_replication_role = DEFAULT")

    def check_foreign_keys(self):
        """One anti-join per foreign key of the loaded tables."""
        self.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
              JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
             WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
               AND c.conrelid::regclass::text IN ('res_partner', 'sale_order', 'sale_order_line',
                                                  'mail_followers', 'account_tax_sale_order_line_rel',
                                                  'mail_message')
            """
        )
        for table, column, target, target_column in self.cr.fetchall():
            found = self.execute(
                "SELECT t.%(column)s FROM %(table)s t WHERE t.%(column)s IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM %(target)s f WHERE f.%(target_column)s = t.%(column)s) LIMIT 1",
                table=SQL.identifier(table),
                column=SQL.identifier(column),
                target=SQL.identifier(target),
                target_column=SQL.identifier(target_column),
            )
            if found:
                raise SystemExit(f"{table}.{column} = {self.cr.fetchone()[0]} is not in {target}")

    def _clone(self, table, proto, source, overrides):
        """INSERT INTO table SELECT ... FROM source: the prototype's value for every
        column but the overridden ones (SQL expressions on the source: SQL objects,
        or plain strings of constant code)."""
        self.execute(
            """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
                WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped""",
            table,
        )
        types = dict(self.cr.fetchall())
        unknown = set(overrides) - set(types)
        if unknown:
            raise SystemExit(f"{table} has no column {unknown}")
        columns, values = [], []
        for column, value in proto.items():
            columns.append(SQL.identifier(column))
            if column in overrides:
                override = overrides[column]
                values.append(override if isinstance(override, SQL) else SQL(override))
            else:
                if isinstance(value, (dict, list)):
                    value = psycopg2.extras.Json(value)
                # the type as PostgreSQL's catalog names it: an untyped NULL would be text
                values.append(SQL("%s::%s", value, SQL(types[column])))
        return self.execute(
            "INSERT INTO %s (%s) SELECT %s FROM %s",
            SQL.identifier(table),
            SQL(", ").join(columns),
            SQL(", ").join(values),
            source,
        )

    def _reserve_ids(self, table, count):
        """The first of ``count`` new ids of ``table``; its sequence moves past them."""
        self.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM %s), 1) + %s)",
            table,
            SQL.identifier(table),
            count,
        )
        return self.cr.fetchone()[0] - count + 1

    def _temp_table(self, name, columns):
        """A temporary table of Python values: ``columns`` maps each column to its
        SQL type and its list of values (all of one length)."""
        self.execute(
            "CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT * FROM unnest(%s) AS t(%s)",
            SQL.identifier(name),
            SQL(", ").join(SQL("%s::%s[]", values, SQL(sql_type)) for sql_type, values in columns.values()),
            SQL(", ").join(SQL.identifier(column) for column in columns),
        )

    # clients ----------------------------------------------------

    def clients(self):
        """Clients (companies) with 0 to 2 contacts and their salesperson as follower."""
        self.client_base = self._reserve_ids("res_partner", 3 * self.n_clients) - 1
        self._draw_addresses()
        self._draw_clients()
        created = self._insert_clients()
        created += self._insert_contacts()
        self._insert_followers()
        return created

    def _draw_addresses(self):
        """The address columns of each address's prototype, as the ORM computed them."""
        protos = self.proto["addresses"]
        self._temp_table(
            "bench_address",
            {
                "idx": ("int", list(range(1, len(protos) + 1))),
                "country_id": ("int", [row["country_id"] for row in protos]),
                "state_id": ("int", [row["state_id"] for row in protos]),
                "city": ("varchar", [row["city"] for row in protos]),
                "territory_id": ("int", [row["sales_territory_id"] for row in protos]),
            },
        )

    def _draw_clients(self):
        """Prospects never buy; the others get a log-normal share of the orders (a
        few big clients, many small ones): orders lo + 1 to hi."""
        seed = self.seed
        self.execute(
            """
            CREATE TEMP TABLE bench_client ON COMMIT DROP AS
            WITH drawn AS (
                SELECT n,
                       CASE WHEN %(prospect)s < %(prospect_share)s THEN 0.0
                            ELSE exp(1.3 * sqrt(-2 * ln(1 - %(size_1)s)) * cos(2 * pi() * %(size_2)s))
                       END AS weight,
                       %(hunter)s AS user_id,
                       %(eur)s < %(eur_share)s AS eur,
                       %(address)s AS address
                  FROM generate_series(1, %(n)s) n
            ), cumulated AS (
                SELECT *, floor(%(n_orders)s * SUM(weight) OVER (ORDER BY n)
                                / NULLIF(SUM(weight) OVER (), 0))::bigint AS hi
                  FROM drawn
            )
            SELECT n, %(client_base)s + n AS id, user_id, eur, address, mod(n, 3) AS contacts,
                   (ARRAY['Acme', 'Baltic', 'Cobalt', 'Delta', 'Evergreen', 'Falcon', 'Granite',
                          'Harbor', 'Iris', 'Juniper'])[1 + mod(n, 10)]
                   || ' ' || (ARRAY['Building', 'Supplies', 'Construction', 'Trading', 'Hardware',
                                    'Works', 'Materials'])[1 + mod(n / 10, 7)]
                   || ' ' || lpad(n::text, 6, '0')
                   || (ARRAY[' Ltd', ' Inc', ' GmbH', ' SA', ' LLC'])[1 + mod(n / 70, 5)] AS name,
                   COALESCE(LAG(hi) OVER (ORDER BY n), 0) AS lo,
                   CASE WHEN n = %(n)s THEN %(n_orders)s ELSE hi END AS hi
              FROM cumulated
            """,
            prospect=rnd(SQL("n"), seed + 1),
            prospect_share=PROSPECT_SHARE,
            size_1=rnd(SQL("n"), seed + 2),
            size_2=rnd(SQL("n"), seed + 3),
            hunter=pick(self.hunters.ids, rnd(SQL("n"), seed + 4)),
            eur=rnd(SQL("n"), seed + 5),
            eur_share=EUR_SHARE,
            address=SQL("1 + floor(%s * %s)::int", rnd(SQL("n"), seed + 6), len(ADDRESSES)),
            n=self.n_clients,
            n_orders=self.n_orders,
            client_base=self.client_base,
        )
        self.execute("CREATE UNIQUE INDEX ON bench_client (n); ANALYZE bench_client")

    def _partner_overrides(self):
        """What clients and contacts share: their address, salesperson, lifecycle."""
        since = SQL("now() - %s * interval '1 day'", HISTORY_DAYS + 30)
        return {
            "country_id": "a.country_id",
            "state_id": "a.state_id",
            "city": "a.city",
            "sales_territory_id": "a.territory_id",
            "commercial_partner_id": "c.id",
            "commercial_company_name": "c.name",
            "user_id": "c.user_id",
            "sales_lifecycle_state": "'prospect'",
            "hunter_id": "NULL",
            "handover_date": "NULL",
            # the classification of the loaded orders fills them
            "first_order_id": "NULL",
            "sales_total": "0",
            "create_date": since,
            "write_date": since,
        }

    def _insert_clients(self):
        pricelist = SQL(
            "jsonb_build_object(%s, CASE WHEN c.eur THEN %s ELSE %s END)",
            str(self.company.id),
            self.pricelist_eur.id,
            self.pricelist_usd.id,
        )
        return self._clone(
            "res_partner",
            self.proto["client"],
            SQL("bench_client c JOIN bench_address a ON a.idx = c.address"),
            {
                **self._partner_overrides(),
                "id": "c.id",
                "name": "c.name",
                "complete_name": "c.name",
                "email": "'client' || c.n || '@example.com'",
                "email_normalized": "'client' || c.n || '@example.com'",
                "ref": "'C' || lpad(c.n::text, 6, '0')",
                "specific_property_product_pricelist": pricelist,
            },
        )

    def _insert_contacts(self):
        first_name = SQL(
            "(ARRAY['Anna', 'Boris', 'Chloe', 'David', 'Elena', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jon'])"
            "[1 + mod(c.n + k, 10)]"
        )
        last_name = SQL(
            "(ARRAY['Ivanova', 'Martin', 'Smith', 'Dubois', 'Rossi', 'Novak', 'Berg', 'Silva'])"
            "[1 + mod(c.n * 3 + k, 8)]"
        )
        return self._clone(
            "res_partner",
            self.proto["contact"],
            SQL(
                """bench_client c JOIN bench_address a ON a.idx = c.address
                   CROSS JOIN LATERAL generate_series(1, c.contacts) k"""
            ),
            {
                **self._partner_overrides(),
                "id": self._contact_id(SQL("c"), SQL("k")),
                "name": SQL("%s || ' ' || %s", first_name, last_name),
                "complete_name": SQL("c.name || ', ' || %s || ' ' || %s", first_name, last_name),
                "parent_id": "c.id",
                "email": "'contact' || c.n || '.' || k || '@example.com'",
                "email_normalized": "'contact' || c.n || '.' || k || '@example.com'",
            },
        )

    def _contact_id(self, client, k):
        """The id of the k-th contact (k from 1) of a bench_client row."""
        return SQL("%s + %s + 2 * (%s.n - 1) + %s", self.client_base, self.n_clients, client, k)

    def _insert_followers(self):
        """The salesperson follows the clients they own, as when Odoo creates them."""
        follower_base = self._reserve_ids("mail_followers", self.n_clients) - 1
        self._clone(
            "mail_followers",
            self.proto["follower"],
            SQL(
                """(SELECT row_number() OVER (ORDER BY c.n) + %s AS id, c.id AS res_id, u.partner_id
                      FROM bench_client c JOIN res_users u ON u.id = c.user_id) f""",
                follower_base,
            ),
            {"id": "f.id", "res_id": "f.res_id", "partner_id": "f.partner_id"},
        )
        for subtype_id in self.follower_subtypes:
            self.execute(
                """
                INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
                SELECT id, %s FROM mail_followers WHERE id > %s
                """,
                subtype_id,
                follower_base,
            )

    # orders -----------------------------------------------------

    def orders(self):
        """Orders of the clients (on the client or one of its contacts), their lines
        with quantities, prices and discounts, and the amounts Odoo computes."""
        self.order_base = self._reserve_ids("sale_order", self.n_orders) - 1
        self._draw_orders()
        n_lines = self._draw_lines()
        self._insert_orders()
        self._insert_lines(n_lines)
        # Clients with orders are customers; the order sequence goes on after the last.
        self.execute(
            """UPDATE res_partner p SET customer_rank = 1
                WHERE p.id IN (SELECT client_id FROM bench_order WHERE state = 'sale')"""
        )
        sequence = self.env["ir.sequence"].search([("code", "=", "sale.order")], limit=1)
        sequence.number_next = self.n_orders + 1
        return n_lines

    def _draw_orders(self):
        """Each client's orders, on a date of the last HISTORY_DAYS, by its salesperson
        (at times another hunter), at the rate of their date (the last one before it)."""
        seed = self.seed
        self.execute(
            """
            CREATE TEMP TABLE bench_order ON COMMIT DROP AS
            SELECT o.id AS n, %(order_base)s + o.id AS id, c.id AS client_id,
                   CASE WHEN c.contacts > 0 AND %(on_contact)s < 0.5
                        THEN %(contact)s ELSE c.id END AS partner_id,
                   date_trunc('second', %(now)s - %(age)s * %(history_days)s * interval '1 day') AS date_order,
                   CASE WHEN %(cancel)s < %(cancel_share)s THEN 'cancel' ELSE 'sale' END AS state,
                   CASE WHEN %(own)s < 0.9 THEN c.user_id ELSE %(other_hunter)s END AS user_id,
                   c.eur,
                   a.territory_id
              FROM bench_client c
              JOIN bench_address a ON a.idx = c.address
              JOIN LATERAL generate_series(c.lo + 1, c.hi) o(id) ON TRUE
            """,
            order_base=self.order_base,
            on_contact=rnd(SQL("o.id"), seed + 11),
            contact=self._contact_id(
                SQL("c"), SQL("1 + floor(%s * c.contacts)::int", rnd(SQL("o.id"), seed + 12))
            ),
            now=SQL("(now() AT TIME ZONE 'UTC')"),
            age=rnd(SQL("o.id"), seed + 13),
            history_days=HISTORY_DAYS,
            cancel=rnd(SQL("o.id"), seed + 14),
            cancel_share=CANCEL_SHARE,
            own=rnd(SQL("o.id"), seed + 15),
            other_hunter=pick(self.hunters.ids, rnd(SQL("o.id"), seed + 16)),
        )
        self.execute("CREATE UNIQUE INDEX ON bench_order (n); ANALYZE bench_order")
        self.execute(
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

    def _draw_lines(self):
        """1 to MAX_LINES lines per order, of products at their list price (10%% off in
        euros), the description and product manager the ORM gives them; amounts
        rounded per line as Odoo does (the tax on the rounded subtotal)."""
        seed = self.seed
        products = self.products
        described = self.proto["products"]
        self._temp_table(
            "bench_product",
            {
                "idx": ("int", list(range(1, len(products) + 1))),
                "id": ("int", products.ids),
                "price": ("numeric", [product.list_price for product in products]),
                "name": ("text", [described[product.id][0] for product in products]),
                "manager_id": ("int", [described[product.id][1] for product in products]),
            },
        )
        line_key = SQL("o.n * 8 + k")
        tax_rate = self.tax.amount / 100
        n_lines = self.execute(
            """
            CREATE TEMP TABLE bench_line ON COMMIT DROP AS
            WITH line AS (
                SELECT o.n AS order_n, k AS sequence,
                       1 + floor(%(product)s * %(n_products)s)::int AS product,
                       1 + floor(%(qty)s * 20)::int AS qty,
                       CASE WHEN %(discounted)s < 0.7 THEN 0 WHEN %(discount)s < 0.5 THEN 5 ELSE 10 END
                           AS discount,
                       o.eur
                  FROM bench_order o
                  CROSS JOIN LATERAL generate_series(1, 1 + floor(%(lines)s * %(max_lines)s)::int) k
            ), priced AS (
                SELECT line.*, p.id AS product_id, p.name AS product_name, p.manager_id,
                       CASE WHEN eur THEN round(p.price * 0.9, 2) ELSE p.price END AS price_unit
                  FROM line JOIN bench_product p ON p.idx = line.product
            ), rounded AS (
                SELECT row_number() OVER (ORDER BY order_n, sequence) AS n, *,
                       round(qty * price_unit * (100 - discount) / 100, 2) AS subtotal
                  FROM priced
            )
            SELECT *, round(subtotal * %(tax_rate)s, 2) AS tax,
                   subtotal + round(subtotal * %(tax_rate)s, 2) AS total
              FROM rounded
            """,
            product=rnd(line_key, seed + 22),
            n_products=len(products),
            qty=rnd(line_key, seed + 23),
            discounted=rnd(line_key, seed + 24),
            discount=rnd(line_key, seed + 25),
            lines=rnd(SQL("o.n"), seed + 21),
            max_lines=MAX_LINES,
            tax_rate=tax_rate,
        )
        self.execute(
            """
            ANALYZE bench_line;
            CREATE TEMP TABLE bench_order_amount ON COMMIT DROP AS
            SELECT order_n, SUM(subtotal) AS untaxed, SUM(tax) AS tax
              FROM bench_line GROUP BY order_n;
            CREATE UNIQUE INDEX ON bench_order_amount (order_n);
            """
        )
        return n_lines

    def _order_currency(self):
        return SQL("CASE WHEN o.eur THEN %s ELSE %s END", self.eur.id, self.usd.id)

    def _insert_orders(self):
        """Confirmed orders credited to the client's territory of the day (the
        addon stamps it at confirmation); their lifecycle state and hunter are
        left as for orders that predate the addon (see classify)."""
        self._clone(
            "sale_order",
            self.proto["order"],
            SQL("bench_order o JOIN bench_order_amount a ON a.order_n = o.n"),
            {
                "id": "o.id",
                "name": "'S' || lpad(o.n::text, 5, '0')",
                "partner_id": "o.partner_id",
                "partner_invoice_id": "o.client_id",
                "partner_shipping_id": "o.partner_id",
                "user_id": "o.user_id",
                "team_id": SQL("%s", self.hunter_team.id),
                "state": "o.state",
                "date_order": "o.date_order",
                "create_date": "o.date_order - interval '1 hour'",
                "write_date": "o.date_order",
                "validity_date": "(o.date_order + interval '30 days')::date",
                "currency_id": self._order_currency(),
                "pricelist_id": SQL(
                    "CASE WHEN o.eur THEN %s ELSE %s END", self.pricelist_eur.id, self.pricelist_usd.id
                ),
                "currency_rate": "o.currency_rate",
                "amount_untaxed": "a.untaxed",
                "amount_tax": "a.tax",
                "amount_total": "a.untaxed + a.tax",
                "invoice_status": "CASE WHEN o.state = 'sale' THEN 'to invoice' ELSE 'no' END",
                "access_token": "NULL",
                "hunter_id": "NULL",
                "sales_lifecycle_state": "NULL",
                "sales_territory_id": "CASE WHEN o.state = 'sale' THEN o.territory_id END",
                "signed_by": "NULL",
                "signed_on": "NULL",
            },
        )

    def _insert_lines(self, n_lines):
        line_base = self._reserve_ids("sale_order_line", n_lines) - 1
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        self._clone(
            "sale_order_line",
            self.proto["line"],
            SQL("bench_line l JOIN bench_order o ON o.n = l.order_n"),
            {
                "id": SQL("%s + l.n", line_base),
                "order_id": "o.id",
                "sequence": "10 * l.sequence",
                "currency_id": self._order_currency(),
                "order_partner_id": "o.partner_id",
                "salesman_id": "o.user_id",
                "product_id": "l.product_id",
                "product_manager_id": "l.manager_id",
                "name": "l.product_name",
                "state": "o.state",
                "product_uom_qty": "l.qty",
                "price_unit": "l.price_unit",
                "technical_price_unit": "l.price_unit",
                "discount": "l.discount",
                "price_subtotal": "l.subtotal",
                "price_total": "l.total",
                "price_tax": "(l.total - l.subtotal)::float8",
                "price_reduce_taxexcl": SQL("round(l.subtotal / l.qty, %s)", price_digits),
                "price_reduce_taxinc": SQL("round(l.total / l.qty, %s)", price_digits),
                "qty_to_invoice": "CASE WHEN o.state = 'sale' THEN l.qty ELSE 0 END",
                "untaxed_amount_to_invoice": "CASE WHEN o.state = 'sale' THEN l.subtotal ELSE 0 END",
                "invoice_status": "CASE WHEN o.state = 'sale' THEN 'to invoice' ELSE 'no' END",
                "create_date": "o.date_order - interval '1 hour'",
                "write_date": "o.date_order",
            },
        )
        self.execute(
            """
            INSERT INTO account_tax_sale_order_line_rel (sale_order_line_id, account_tax_id)
            SELECT id, %s FROM sale_order_line WHERE id > %s
            """,
            self.tax.id,
            line_base,
        )

    # -------------------------------------------------------------

    def classify(self):
        """Classify the clients as the addon does on an existing database: a
        client with a confirmed order is new, won by the salesperson of its first;
        its confirmed orders are credited to that hunter, here in one statement
        (after an install, its scheduled action does it in committed batches)."""
        self.env.invalidate_all()
        self.env["res.partner"]._classify_existing_clients()
        self.env["sale.order"]._stamp_historical_orders(0, self.order_base + self.n_orders)

    def farm(self):
        """Clients bought from for more than FARMED_AFTER_DAYS with 3+ confirmed
        orders were handed over to a farmer back then, as the rule "After the 3rd
        order" does: regular clients (KEY_SHARE of them key accounts), their
        contacts with them; their hunter stays. The rule now finds the younger ones."""
        return self.execute(
            """
            WITH farmed AS (
                SELECT o.client_id, MIN(o.date_order) AS first_order
                  FROM (%(orders)s) o
              GROUP BY o.client_id
                HAVING COUNT(*) >= 3
                   AND MIN(o.date_order) < (now() AT TIME ZONE 'UTC') - %(days)s * interval '1 day'
            ), assigned AS (
                SELECT client_id, first_order,
                       CASE WHEN %(key)s < %(key_share)s THEN 'key' ELSE 'regular' END AS state,
                       %(farmer)s AS user_id
                  FROM farmed
            )
            UPDATE res_partner p
               SET sales_lifecycle_state = a.state, user_id = a.user_id, team_id = %(team)s,
                   handover_date = a.first_order + interval '180 days'
              FROM assigned a
             WHERE p.commercial_partner_id = a.client_id
            """,
            orders=self.env["sale.order"]._confirmed_orders_sql(company_ids=self.company.ids),
            days=FARMED_AFTER_DAYS,
            key=rnd(SQL("client_id"), self.seed + 31),
            key_share=KEY_SHARE,
            farmer=pick(self.farmers.ids, rnd(SQL("client_id"), self.seed + 32)),
            team=self.farmer_team.id,
        )

    def touches(self):
        """1 to MAX_TOUCHES messages on each client over the last TOUCH_DAYS, by its
        owner: an activity marked done (a call), then a note, in turn; cloned
        from the messages the ORM posts (see prototypes)."""
        base = self._reserve_ids("mail_message", self.n_clients * MAX_TOUCHES) - 1
        touch = SQL(
            """(SELECT %(base)s + (c.n - 1) * %(max)s + k AS id, k, c.id AS res_id, c.name,
                       owner.id AS user_id, author.id AS author_id,
                       '"' || author.name || '" <' || author.email || '>' AS email_from,
                       date_trunc('second', (now() AT TIME ZONE 'UTC') - %(age)s * %(days)s * interval '1 day')
                           AS date
                  FROM bench_client c
                  JOIN res_partner client ON client.id = c.id
                  JOIN res_users owner ON owner.id = client.user_id
                  JOIN res_partner author ON author.id = owner.partner_id
                 CROSS JOIN LATERAL generate_series(1, 1 + floor(%(count)s * %(max)s)::int) k) t""",
            base=base,
            max=MAX_TOUCHES,
            age=rnd(SQL("c.n * 8 + k"), self.seed + 41),
            days=TOUCH_DAYS,
            count=rnd(SQL("c.n"), self.seed + 42),
        )
        overrides = {
            "id": "t.id",
            "res_id": "t.res_id",
            "record_name": "t.name",
            "author_id": "t.author_id",
            "email_from": "t.email_from",
            "date": "t.date",
            "create_date": "t.date",
            "write_date": "t.date",
            "create_uid": "t.user_id",
            "write_uid": "t.user_id",
            "message_id": "'<bench-touch-' || t.id || '@example.com>'",
            "parent_id": "NULL",
        }
        created = 0
        for proto, parity in ((self.proto["activity_message"], 1), (self.proto["note"], 0)):
            created += self._clone(
                "mail_message", proto, SQL("%s WHERE mod(t.k, 2) = %s", touch, parity), overrides
            )
        return created

    def service_standards(self):
        """The two shipped service standards switched on, and every client's
        figures computed as their daily job does (_refresh_service_figures): the
        benchmark then measures a day like the others."""
        for xmlid in ("sales_roles.service_standard_key", "sales_roles.service_standard_regular"):
            self.env.ref(xmlid).active = True
        self.env.flush_all()
        self.env["sales.service.standard"]._refresh_service_figures()

    def targets(self):
        """A target per salesperson, product manager (their categories) or
        territory, and quarter (the current one and those before), set by the
        administrator (through the ORM: a thousand records)."""
        env = self.env
        quarters, day = [], date.today()
        for _i in range(TARGET_QUARTERS):
            start, stop = date_utils.get_quarter(day)
            quarters.append((start, stop))
            day = start - timedelta(days=1)
        categories = env["product.category"].search([("product_manager_id", "!=", False)])
        scopes = [
            {
                "product_categ_ids": [
                    (6, 0, categories.filtered(lambda c, m=manager: c.product_manager_id == m).ids)
                ]
            }
            for manager in categories.product_manager_id
        ]
        scopes += [{"territory_id": territory.id} for territory in env["sales.territory"].search([])]
        admin = env.ref("base.user_admin")
        salespeople = self.hunters | self.farmers
        env["sales.target"].create(
            [
                {
                    **scope,
                    "user_id": user.id,
                    "manager_id": admin.id,
                    "date_from": start,
                    "date_to": stop,
                    "amount": 25_000 * (1 + (index % 4)),
                }
                for index, (user, scope, (start, stop)) in enumerate(
                    (u, s, q) for u in salespeople for s in scopes for q in quarters
                )
            ]
        )
        env.flush_all()

    def proposals(self):
        """A rule asking for approval (regular clients whose sales reach an amount
        become key accounts, the administrator approves), its threshold that of
        its PROPOSALS-th biggest client, and its first run: PROPOSALS pending
        proposals, which row h of the benchmark approves."""
        env = self.env
        rule = env["sales.handover.rule"].create(
            {
                "name": "Key account by sales total (approved by the director)",
                "sequence": 50,
                "from_state": "regular",
                "to_state": "key",
                "assign_method": "keep",
                "approval_required": True,
                "approver_id": env.ref("base.user_admin").id,
                "condition_ids": [(0, 0, {"criterion": "sales_total", "min_amount": 1.0})],
            }
        )
        moves = sorted(rule._plan_handovers().moves, key=lambda move: -move.sales_total)[:PROPOSALS]
        if moves:
            rule.condition_ids.min_amount = moves[-1].sales_total
            env["sales.handover"]._carry_out(moves)
        env.flush_all()
        return len(moves)

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
    """The read-only stored computed fields of ``model`` that live in its table
    (on order lines, the product manager among them)."""
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
    with rolled_back(env):
        records = model.browse(ids)
        env.invalidate_all()
        for fname in fnames:
            env.add_to_compute(model._fields[fname], records)
        env.flush_all()
        recomputed = _fetch(env.cr, model, ids, fnames)
    return stored, recomputed


def _same(a, b):
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        if a is None or b is None:
            return (a or 0) == (b or 0)
        return float_compare(float(a), float(b), precision_digits=6) == 0
    return a == b


def _random_ids(cr, table, where, size):
    cr.execute(
        SQL("SELECT id FROM %s WHERE %s ORDER BY random() LIMIT %s", SQL.identifier(table), where, size)
    )
    return [row[0] for row in cr.fetchall()]


def _compare_computed(env, model, ids, fnames=()):
    """Differences between the stored values of ``model``'s stored computed fields
    (and ``fnames``) and what the ORM computes for them now."""
    fnames = [*_stored_computed(model), *fnames]
    stored, recomputed = _recompute(env, model, ids, fnames)
    return [
        f"{model._name}({record_id}).{fname}: stored {old!r}, ORM computes {new!r}"
        for record_id in ids
        for fname, old, new in zip(fnames, stored[record_id], recomputed[record_id], strict=True)
        if not _same(old, new)
    ]


def _check_lifecycle(env, clients):
    """Lifecycle as the addon defines it: a client with a confirmed order is a new
    client whose hunter is the salesperson of its first confirmed order; its
    contacts share its state and its confirmed orders are credited to its hunter."""
    problems = []
    for client in clients:
        confirmed = env["sale.order"].search(
            [("partner_id", "child_of", client.id), ("state", "=", "sale")], order="date_order, id"
        )
        want = ("new", confirmed[:1].user_id) if confirmed else ("prospect", env["res.users"])
        if client.sales_lifecycle_state in ("regular", "key") and len(confirmed) >= 3:
            want = (client.sales_lifecycle_state, want[1])  # farmed (see Populate.farm)
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
    return problems


def _check_order_territories(orders):
    """A confirmed order is credited to its client's territory (the addon stamps
    it at confirmation, from the commercial partner)."""
    return [
        f"{order.name}: territory {order.sales_territory_id.display_name}, its client's "
        f"{order.partner_id.commercial_partner_id.sales_territory_id.display_name}"
        for order in orders.filtered(lambda o: o.state == "sale")
        if order.sales_territory_id != order.partner_id.commercial_partner_id.sales_territory_id
    ]


def check_sample(env, size=SAMPLE_SIZE):
    """Recompute a random sample through the ORM: the stored computed fields of
    order lines (product manager included), orders and partners, the partners'
    territory; then the clients' lifecycle and the orders' territory.

    :return: (what was checked: {what: count}, the differences)
    """
    cr = env.cr
    order_ids = _random_ids(cr, "sale_order", SQL("TRUE"), size)
    cr.execute(SQL("SELECT id FROM sale_order_line WHERE order_id = ANY(%s)", order_ids))
    line_ids = [row[0] for row in cr.fetchall()]
    contact_ids = _random_ids(cr, "res_partner", SQL("id > 10 AND NOT is_company"), size)
    client_ids = _random_ids(cr, "res_partner", SQL("is_company"), size)

    problems = _compare_computed(env, env["sale.order.line"], line_ids)
    problems += _compare_computed(env, env["sale.order"], order_ids)
    problems += _compare_computed(env, env["res.partner"], client_ids + contact_ids, ["sales_territory_id"])
    problems += _check_lifecycle(env, env["res.partner"].browse(client_ids))
    problems += _check_order_territories(env["sale.order"].browse(order_ids))
    counts = {
        "lines": len(line_ids),
        "orders": len(order_ids),
        "partners": len(client_ids) + len(contact_ids),
        "clients (lifecycle)": len(client_ids),
    }
    return counts, problems


# ------------------------------------------------------------
# COMMAND
# ------------------------------------------------------------


def vacuum(dbname, tables=("res_partner", "sale_order", "sale_order_line", "mail_followers", "mail_message")):
    """VACUUM ANALYZE the loaded tables; the classification rewrote most clients and
    confirmed orders: compact those tables (VACUUM FULL), as a database that has
    lived would have reused the space of their old versions."""
    with autocommit_cursor(dbname) as cr:
        for table in tables:
            full = SQL("FULL") if table in ("res_partner", "sale_order") else SQL()
            cr.execute(SQL("VACUUM %s ANALYZE %s", full, SQL.identifier(table)))


def summary(cr):
    cr.execute(
        SQL(
            """
            SELECT (SELECT COUNT(*) FROM res_partner WHERE %(clients)s),
                   (SELECT COUNT(*) FROM res_partner WHERE parent_id IS NOT NULL),
                   (SELECT COUNT(*) FROM sale_order WHERE state = 'sale'),
                   (SELECT COUNT(*) FROM sale_order WHERE state = 'cancel'),
                   (SELECT COUNT(*) FROM sale_order_line),
                   (SELECT COUNT(*) FROM sale_order o
                      JOIN res_currency c ON c.id = o.currency_id WHERE c.name = 'EUR')
            """,
            clients=CLIENTS,
        )
    )
    clients, contacts, confirmed, cancelled, lines, eur = cr.fetchone()
    cr.execute(
        SQL("SELECT sales_lifecycle_state, COUNT(*) FROM res_partner WHERE %s GROUP BY 1 ORDER BY 1", CLIENTS)
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
    cr.execute(
        SQL(
            """
            SELECT (SELECT COUNT(DISTINCT product_manager_id) FROM sale_order_line),
                   (SELECT COUNT(*) FROM sale_order_line WHERE product_manager_id IS NOT NULL),
                   (SELECT COUNT(*) FROM sales_territory),
                   (SELECT COUNT(*) FROM res_partner WHERE %(clients)s AND sales_territory_id IS NOT NULL),
                   (SELECT COUNT(*) FROM sale_order WHERE sales_territory_id IS NOT NULL)
            """,
            clients=CLIENTS,
        )
    )
    say(
        "matrix: %s product managers on %s lines; %s territories, %s clients and %s orders in one",
        *cr.fetchone(),
    )
    cr.execute(
        SQL(
            """
            SELECT (SELECT COUNT(*) FROM mail_message WHERE model = 'res.partner' AND message_id LIKE %(touch)s),
                   (SELECT COUNT(*) FROM res_partner WHERE %(clients)s AND service_standard_id IS NOT NULL),
                   (SELECT COUNT(*) FROM res_partner WHERE %(clients)s AND service_status IN ('due', 'overdue')),
                   (SELECT COUNT(*) FROM sales_target),
                   (SELECT COUNT(*) FROM sales_handover WHERE state = 'proposed')
            """,
            touch="<bench-touch-%",
            clients=CLIENTS,
        )
    )
    say(
        "service: %s touches on clients, %s clients followed by a standard (%s due or overdue); "
        "%s targets; %s proposals pending",
        *cr.fetchone(),
    )


def populate(registry, args):
    with registry.cursor() as cr:
        dataset = Populate(superuser_env(cr, **CONTEXT), **args)
        with timed(say, "reference data and prototypes (ORM)"):
            dataset.reference_data()
            dataset.prototypes()
        with dataset.bulk_mode():
            with timed(say, "clients and contacts (SQL)"):
                dataset.clients()
            with timed(say, "orders and lines (SQL)"):
                dataset.orders()
            # In bulk mode too: updating rows inserted by the same transaction
            # checks every foreign key of each row again.
            with timed(say, "classify clients (_classify_existing_clients)"):
                dataset.classify()
            with timed(say, "farmed clients, touches of the last year (SQL)"):
                say("%s partners farmed, %s messages", dataset.farm(), dataset.touches())
        with timed(say, "foreign keys of the new rows"):
            dataset.check_foreign_keys()
        dataset.activate_rules()
    with timed(say, "vacuum"):
        vacuum(registry.db_name)
    # On the tables analysed: the service figures read every order and message.
    with registry.cursor() as cr:
        dataset.env = dataset.env(cr=cr)
        dataset.cr = cr
        with timed(say, "service standards on, their figures (_refresh_service_figures)"):
            dataset.service_standards()
        with timed(say, "targets and proposals (ORM)"):
            dataset.targets()
            say("%s proposals pending", dataset.proposals())
    with timed(say, "vacuum"):
        vacuum(registry.db_name, ("res_partner",))


def check(registry):
    """Summary and sample check; the number of differences."""
    with registry.cursor() as cr:
        summary(cr)
        with timed(say, "sample check (ORM recompute)"):
            counts, problems = check_sample(superuser_env(cr, **CONTEXT))
        cr.rollback()
    for problem in problems[:30]:
        say("MISMATCH %s", problem)
    if problems:
        say("sample check FAILED: %s differences", len(problems))
    else:
        say("sample check passed: %s", ", ".join(f"{count} {what}" for what, count in counts.items()))
    return len(problems)


def main(argv):
    def arguments(parser):
        parser.add_argument("--clients", type=int, default=2000, help="commercial clients (default 2000)")
        parser.add_argument("--orders", type=int, default=20000, help="sale orders (default 20000)")
        parser.add_argument("--seed", type=int, default=42)

    parser, args, _odoo_args = command_line("./dev populate", __doc__, argv, arguments)
    if args.clients < 10 or args.orders < args.clients:
        parser.error("need at least 10 clients and as many orders as clients")
    registry = Registry(database())
    started = time.monotonic()
    say("%s clients, %s orders into %s", args.clients, args.orders, registry.db_name)
    populate(registry, {"clients": args.clients, "orders": args.orders, "seed": args.seed})
    problems = check(registry)
    say("dataset built in %.0f s", time.monotonic() - started)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
