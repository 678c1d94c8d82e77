"""The service-level engine: touches, purchase rhythm, status, at-risk clients
and touchpoints, for ``sales.service.standard`` (which inherits it).

One SQL definition of a client's figures (``_service_figures_sql``) serves the
daily job, the immediate refresh after a touch and the benchmark's floor. The
figures are written on the commercial partner and all its contacts in one
statement (``_refresh_service_figures``); the daily job then raises the at-risk
clients and schedules the touchpoints in committed batches
(``_run_service_standards``).

Dates are UTC days: a touch at 01:00 in Moscow counts for the day before.
"""

import logging
import time

import psycopg2
import psycopg2.errors
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL, format_date, split_every

from ..tools.bulk import log_notes, schedule_activities
from .res_partner import ORDER_FIGURES, SERVICE_FIELDS

_logger = logging.getLogger(__name__)

# Clients raised at risk or given a touchpoint in one transaction of the daily job.
BATCH_SIZE = 500
# Seconds of work per call of the scheduled action; ir.cron calls again while
# progress reports work remaining.
TIME_BUDGET = 60
# Errors after which a batch is left for the next call: a row changed by a user meanwhile.
RETRYABLE_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable)
# Errors after which the call cannot go on (what was committed stays).
FATAL_ERRORS = (MemoryError, psycopg2.OperationalError, psycopg2.InterfaceError)

# Settings (ir.config_parameter), read defensively: a value mistyped in the
# system parameters must not stop the daily job.
AT_RISK_FACTOR_PARAM = "sales_roles.at_risk_factor"
LOOKBACK_MONTHS_PARAM = "sales_roles.service_lookback_months"
DEFAULT_AT_RISK_FACTOR = 2.0
DEFAULT_LOOKBACK_MONTHS = 12
MAX_LOOKBACK_MONTHS = 120

# The documents whose messages and done activities are touches of their client.
TOUCHED_MODELS = ("res.partner", "sale.order")
# Messages an internal user writes: chatter messages, notes and e-mails sent from
# Odoo (comment), e-mails received from them (email). Not tracking, system notes
# (notification), automated or per-user notifications.
TOUCH_MESSAGE_TYPES = ("comment", "email")

PENDING_KEY = "sales_roles.service_refresh"
ORDERS_CHANGED_KEY = "sales_roles.service_refresh.orders_changed"


class SalesServiceEngine(models.AbstractModel):
    _name = "sales.service.engine"
    _description = "Service Level Engine"

    # ------------------------------------------------------------
    # SETTINGS
    # ------------------------------------------------------------

    @api.model
    def _service_settings(self):
        """(at-risk factor, look-back months), each within its bounds, else its default."""
        params = self.env["ir.config_parameter"].sudo()
        factor = self._read_param(params, AT_RISK_FACTOR_PARAM, float, DEFAULT_AT_RISK_FACTOR)
        if not factor > 1:
            _logger.warning(
                "%s = %r must be above 1: %s used", AT_RISK_FACTOR_PARAM, factor, DEFAULT_AT_RISK_FACTOR
            )
            factor = DEFAULT_AT_RISK_FACTOR
        months = self._read_param(params, LOOKBACK_MONTHS_PARAM, int, DEFAULT_LOOKBACK_MONTHS)
        if not 1 <= months <= MAX_LOOKBACK_MONTHS:
            _logger.warning(
                "%s = %r must be between 1 and %s: %s used",
                LOOKBACK_MONTHS_PARAM,
                months,
                MAX_LOOKBACK_MONTHS,
                DEFAULT_LOOKBACK_MONTHS,
            )
            months = DEFAULT_LOOKBACK_MONTHS
        return factor, months

    @api.model
    def _read_param(self, params, key, convert, default):
        value = params.get_param(key)
        if not value:
            return default
        try:
            return convert(value)
        except ValueError:
            _logger.warning("System parameter %s = %r is not a number: %s used", key, value, default)
            return default

    @api.model
    def _service_enabled(self):
        """Service standards are on: their scheduled action is active."""
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "sales_roles.ir_cron_sales_service", raise_if_not_found=False
        )
        return bool(cron_id) and self.env["ir.cron"].sudo().browse(cron_id).active

    # ------------------------------------------------------------
    # SQL: THE FIGURES OF A CLIENT
    # ------------------------------------------------------------

    @api.model
    def _message_touches_sql(self, now, client_ids=None):
        """SQL of each client's latest touch by message: ``client_id`` (a
        commercial partner), ``touch_date``.

        Touches are the messages on the client, its contacts or its orders that
        record an activity marked done (they carry its activity type), and the
        chatter messages, notes and e-mails written by an internal user; not
        tracking values, system notes (the handover's log) or notifications.

        :param datetime now: touches after it (a message dated ahead) are ignored
        :param list client_ids: only these commercial partners
        """
        touch = SQL(
            """m.date <= %(now)s
               AND (m.mail_activity_type_id IS NOT NULL
                    OR (m.message_type IN %(types)s
                        AND EXISTS (SELECT 1
                                      FROM res_users author
                                     WHERE author.partner_id = m.author_id
                                       AND NOT author.share
                                       AND author.id <> %(superuser)s)))""",
            now=now,
            types=TOUCH_MESSAGE_TYPES,
            superuser=SUPERUSER_ID,
        )
        partner_filter = order_filter = SQL()
        if client_ids is not None:
            partner_filter = SQL("AND partner.commercial_partner_id = ANY(%s)", list(client_ids))
            order_filter = SQL("AND customer.commercial_partner_id = ANY(%s)", list(client_ids))
        return SQL(
            """
            SELECT client_id, MAX(touch_date) AS touch_date
              FROM (
                    SELECT partner.commercial_partner_id AS client_id, m.date AS touch_date
                      FROM mail_message m
                      JOIN res_partner partner ON partner.id = m.res_id
                     WHERE m.model = 'res.partner' AND %(touch)s %(partner_filter)s
                 UNION ALL
                    SELECT customer.commercial_partner_id, m.date
                      FROM mail_message m
                      JOIN sale_order so ON so.id = m.res_id
                      JOIN res_partner customer ON customer.id = so.partner_id
                     WHERE m.model = 'sale.order' AND %(touch)s %(order_filter)s
                   ) touch
          GROUP BY client_id
            """,
            touch=touch,
            partner_filter=partner_filter,
            order_filter=order_filter,
        )

    @api.model
    def _service_figures_sql(self, now, client_ids=None, settings=None):
        """SQL of the service figures of every commercial partner (or of
        ``client_ids``), one row each:

        - ``client_id``, ``user_id`` (owner), ``sales_lifecycle_state``;
        - ``standard_id``: the first active standard, by sequence, of the
          client's company (for a client shared by all companies: the company of
          its last confirmed order, else its owner's) for its lifecycle state
          and sales team; archived clients follow none;
        - ``last_touch_date``: the latest confirmed order or message touch
          (``_message_touches_sql``);
        - ``next_touch_date``: the last touch's day plus the standard's interval,
          today when never touched; ``service_status``: ``none`` without
          standard, ``overdue`` past the next touch date, ``due`` within the
          standard's days ahead of it, else ``ok``;
        - ``purchase_interval_days``: the median of the days between consecutive
          confirmed orders of the look-back period, 0 below 3 orders;
          ``last_order_date``, ``days_since_order``;
        - ``sales_12_months``: the untaxed amount of the confirmed orders of the
          12 months before ``now``, in each order's company currency;
        - ``at_risk_now``: a regular client or key account whose days since its
          last order exceed the at-risk factor times its rhythm;
          ``was_at_risk``, ``at_risk_since``: the client's flag as stored.

        Confirmed orders are ``sale.order._confirmed_orders_sql`` (every
        company's), those dated after ``now`` ignored.

        :param datetime now: the moment measured (UTC)
        :param list client_ids: only these commercial partners
        :param tuple settings: (at-risk factor, look-back months), else read
        """
        factor, months = settings or self._service_settings()
        client_filter = SQL()
        if client_ids is not None:
            client_filter = SQL("AND client.id = ANY(%s)", list(client_ids))
        return SQL(
            """
            WITH standard AS MATERIALIZED (
                SELECT s.id, s.company_id, s.lifecycle_state, s.sequence, s.contact_interval_days,
                       s.lead_days,
                       ARRAY(SELECT rel.team_id
                               FROM sales_service_standard_team_rel rel
                              WHERE rel.standard_id = s.id) AS team_ids
                  FROM sales_service_standard s
                 WHERE s.active
            ),
            confirmed AS MATERIALIZED (
                SELECT o.client_id, o.order_id, o.company_id, o.date_order, o.amount
                  FROM (%(orders)s) o
                 WHERE o.date_order <= %(now)s
            ),
            sales AS (
                SELECT client_id, SUM(amount) AS amount
                  FROM confirmed
                 WHERE date_order >= %(year_ago)s
              GROUP BY client_id
            ),
            last_order AS (
                SELECT DISTINCT ON (client_id) client_id, date_order, company_id
                  FROM confirmed
              ORDER BY client_id, date_order DESC, order_id DESC
            ),
            gap AS (
                SELECT client_id,
                       EXTRACT(EPOCH FROM date_order - LAG(date_order) OVER (
                           PARTITION BY client_id ORDER BY date_order, order_id
                       )) / 86400.0 AS days
                  FROM confirmed
                 WHERE date_order >= %(since)s
            ),
            rhythm AS (
                -- 3 orders make 2 gaps: the first rhythm
                SELECT client_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS days
                  FROM gap
                 WHERE days IS NOT NULL
              GROUP BY client_id
                HAVING COUNT(*) >= 2
            ),
            message_touch AS (%(message_touches)s),
            measured AS (
                SELECT client.id, client.user_id, client.team_id, client.sales_lifecycle_state,
                       client.active, COALESCE(client.at_risk, FALSE) AS was_at_risk, client.at_risk_since,
                       COALESCE(client.company_id, last_order.company_id, owner.company_id) AS company_id,
                       last_order.date_order AS last_order_date,
                       GREATEST(last_order.date_order, message_touch.touch_date) AS last_touch_date,
                       COALESCE(ROUND(rhythm.days::numeric, 1), 0)::float8 AS purchase_interval_days,
                       EXTRACT(EPOCH FROM %(now)s - last_order.date_order) / 86400.0 AS days_since_order,
                       COALESCE(sales.amount, 0)::float8 AS sales_12_months
                  FROM res_partner client
             LEFT JOIN last_order ON last_order.client_id = client.id
             LEFT JOIN sales ON sales.client_id = client.id
             LEFT JOIN rhythm ON rhythm.client_id = client.id
             LEFT JOIN message_touch ON message_touch.client_id = client.id
             LEFT JOIN res_users owner ON owner.id = client.user_id
                 -- the commercial partners (as Odoo computes commercial_partner_id); PostgreSQL
                 -- estimates this from its statistics, unlike id = commercial_partner_id (a
                 -- fixed half a percent, which makes it join the rhythm by a nested loop: hours
                 -- on 100k clients)
                 WHERE (client.is_company OR client.parent_id IS NULL) %(client_filter)s
            )
            SELECT client.id AS client_id, client.user_id, client.sales_lifecycle_state,
                   followed.id AS standard_id,
                   client.last_touch_date,
                   touch.next_touch_date,
                   CASE
                       WHEN followed.id IS NULL THEN 'none'
                       WHEN touch.next_touch_date < %(today)s THEN 'overdue'
                       WHEN touch.next_touch_date - followed.lead_days <= %(today)s THEN 'due'
                       ELSE 'ok'
                   END AS service_status,
                   client.purchase_interval_days,
                   client.last_order_date,
                   client.days_since_order,
                   client.sales_12_months,
                   COALESCE(
                       client.active
                       AND client.sales_lifecycle_state IN ('regular', 'key')
                       AND client.purchase_interval_days > 0
                       AND client.days_since_order > %(factor)s * client.purchase_interval_days,
                       FALSE
                   ) AS at_risk_now,
                   client.was_at_risk,
                   client.at_risk_since
              FROM measured client
         LEFT JOIN LATERAL (
                    SELECT s.id, s.contact_interval_days, s.lead_days
                      FROM standard s
                     WHERE client.active
                       AND s.company_id = client.company_id
                       AND s.lifecycle_state = client.sales_lifecycle_state
                       AND (s.team_ids = '{}' OR client.team_id = ANY(s.team_ids))
                  ORDER BY s.sequence, s.id
                     LIMIT 1
                   ) followed ON TRUE
        CROSS JOIN LATERAL (
                    SELECT CASE
                               WHEN followed.id IS NOT NULL
                               THEN COALESCE(client.last_touch_date::date + followed.contact_interval_days,
                                             %(today)s)
                           END AS next_touch_date
                   ) touch
            """,
            orders=self.env["sale.order"]._confirmed_orders_sql(client_ids=client_ids),
            message_touches=self._message_touches_sql(now, client_ids),
            now=now,
            today=now.date(),
            since=now - relativedelta(months=months),
            year_ago=now - relativedelta(months=12),
            factor=factor,
            client_filter=client_filter,
        )

    # ------------------------------------------------------------
    # REFRESH
    # ------------------------------------------------------------

    @api.model
    def _refresh_service_figures(self, client_ids=None, now=None, settings=None):
        """Write the service figures of every client (or of ``client_ids``) on
        it and all its contacts, in one statement; rows already right are not
        rewritten.

        The at-risk flag is only cleared here (a client that ordered again); it
        is raised by the daily job with its note and to-do (``_raise_at_risk``).

        :param list client_ids: only these commercial partners
        :param tuple settings: (at-risk factor, look-back months), else read
        :return: the clients to raise at risk, as dicts (``client_id``,
            ``user_id``, ``purchase_interval_days``, ``days_since_order``,
            ``last_order_date``, ``factor``), by client id
        """
        now = now or fields.Datetime.now()
        settings = settings or self._service_settings()
        for model in ("res.partner", "sale.order", "mail.message", "sales.service.standard", "res.users"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """
                %(no_jit)s
                WITH figures AS MATERIALIZED (%(figures)s),
                refreshed AS (
                    UPDATE res_partner partner
                       SET service_standard_id = f.standard_id,
                           last_touch_date = f.last_touch_date,
                           next_touch_date = f.next_touch_date,
                           service_status = f.service_status,
                           purchase_interval_days = f.purchase_interval_days,
                           at_risk = f.was_at_risk AND f.at_risk_now,
                           at_risk_since = CASE WHEN f.was_at_risk AND f.at_risk_now THEN f.at_risk_since END,
                           last_order_date = f.last_order_date,
                           sales_12_months = f.sales_12_months
                      FROM figures f
                     WHERE partner.commercial_partner_id = f.client_id
                       AND (partner.service_standard_id, partner.last_touch_date, partner.next_touch_date,
                            COALESCE(partner.service_status, 'none'),
                            COALESCE(partner.purchase_interval_days, 0), COALESCE(partner.at_risk, FALSE),
                            partner.at_risk_since, partner.last_order_date, COALESCE(partner.sales_12_months, 0))
                           IS DISTINCT FROM
                           (f.standard_id, f.last_touch_date, f.next_touch_date, f.service_status,
                            f.purchase_interval_days, f.was_at_risk AND f.at_risk_now,
                            CASE WHEN f.was_at_risk AND f.at_risk_now THEN f.at_risk_since END,
                            f.last_order_date, f.sales_12_months)
                 RETURNING partner.id
                )
                SELECT client_id, user_id, purchase_interval_days, days_since_order, last_order_date,
                       %(factor)s AS factor
                  FROM figures
                 WHERE at_risk_now AND NOT was_at_risk
              ORDER BY client_id
                """,
                # Compiling the query costs more than it saves (as for the handover
                # engine's): JIT off for the rest of this transaction. For a few clients
                # too: PostgreSQL estimates the cost from the tables' size, and on 300,000
                # clients the refresh of 500 (a batch of handovers, say) spent 145 ms
                # compiling what then ran in 43 ms.
                no_jit=SQL("SET LOCAL jit = off;"),
                figures=self._service_figures_sql(now, client_ids, settings),
                factor=settings[0],
            )
        )
        to_raise = self.env.cr.dictfetchall()
        self.env["res.partner"].invalidate_model(list(SERVICE_FIELDS))
        return to_raise

    @api.model
    def _service_refresh_later(self, client_ids=(), partner_ids=(), order_ids=(), orders_changed=False):
        """Refresh, before the transaction commits, the clients touched now: these
        commercial partners, the clients of these partners and of these orders;
        their service figures while the service standards are on and, when
        ``orders_changed`` (what they bought may have changed: an order confirmed,
        cancelled or edited, a contact moved, partners merged), their order
        figures whatever the setting.

        Collected for the whole transaction and refreshed once (a precommit hook,
        as Odoo's tracking does): marking ten activities done refreshes their
        clients in one statement.
        """
        data = self.env.cr.precommit.data
        if PENDING_KEY not in data:
            data[PENDING_KEY] = {"client_ids": set(), "partner_ids": set(), "order_ids": set()}
            self.env.cr.precommit.add(self._service_refresh_pending)
        if orders_changed:
            data[ORDERS_CHANGED_KEY] = True
        pending = data[PENDING_KEY]
        pending["client_ids"].update(client_ids)
        pending["partner_ids"].update(partner_ids)
        pending["order_ids"].update(order_ids)

    @api.model
    def _service_refresh_pending(self):
        pending = self.env.cr.precommit.data.pop(PENDING_KEY, None)
        orders_changed = self.env.cr.precommit.data.pop(ORDERS_CHANGED_KEY, False)
        if not pending or not any(pending.values()):
            return
        service = self._service_enabled()
        if not (service or orders_changed):
            return
        # A touch must never cost the user their work: should the refresh fail,
        # the nightly runs catch up (the handovers' for the order figures).
        try:
            with self.env.cr.savepoint(flush=False):
                client_ids = self._service_clients_of(**pending)
                if client_ids:
                    if orders_changed:  # kept whatever the service setting
                        self.env["res.partner"].sudo()._refresh_order_figures(client_ids)
                    if service:
                        self.sudo()._refresh_service_figures(client_ids)
        except FATAL_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - logged; the nightly run recomputes everything
            _logger.warning("Service figures of clients %s not refreshed", pending, exc_info=True)
            self.env["res.partner"].invalidate_model([*SERVICE_FIELDS, *ORDER_FIGURES])

    @api.model
    def _service_clients_of(self, client_ids, partner_ids, order_ids):
        """The commercial partners of these clients, partners and orders (one query,
        none when only clients are given)."""
        if not partner_ids and not order_ids:
            return list(client_ids)
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["sale.order"].flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT commercial_partner_id FROM res_partner WHERE id = ANY(%(partners)s)
                 UNION
                SELECT customer.commercial_partner_id
                  FROM sale_order so
                  JOIN res_partner customer ON customer.id = so.partner_id
                 WHERE so.id = ANY(%(orders)s)
                """,
                partners=list(client_ids | partner_ids),
                orders=list(order_ids),
            )
        )
        return [client_id for (client_id,) in self.env.cr.fetchall() if client_id]

    # ------------------------------------------------------------
    # THE DAILY RUN
    # ------------------------------------------------------------

    @api.model
    def _run_service_standards(self, commit=False):
        """Refresh every client's figures, then raise the new at-risk clients and
        schedule the touchpoints due, in batches.

        A constant number of queries per batch, whatever the number of clients.
        Each batch is applied in a savepoint and, in the scheduled action,
        committed: an interruption loses at most the batch under way, which the
        next call finds again (both steps look for what is not done yet). A batch
        that fails is retried client by client: one bad record does not stop
        the others.

        :param bool commit: commit after the refresh and each batch (the
            scheduled action, never tests)
        :return: dict with the numbers of clients ``raised`` and ``touchpoints``
        """
        now = fields.Datetime.now()
        started = time.monotonic()
        to_raise = self._refresh_with_retry(now, commit)
        if commit:
            # Safe: the figures are complete and consistent on their own.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        to_touch = self._touchpoint_candidates()
        work = [("raise", batch) for batch in split_every(BATCH_SIZE, to_raise, list)]
        work += [("touch", batch) for batch in split_every(BATCH_SIZE, to_touch, list)]
        total = len(to_raise) + len(to_touch)
        done = 0
        result = {"raised": 0, "touchpoints": 0}
        for kind, batch in work:
            applied = self._apply_service_batch(kind, batch, now, retry=commit)
            result["raised" if kind == "raise" else "touchpoints"] += applied
            done += len(batch)
            if commit:
                # Safe: the batch is complete (flags, notes, activities).
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            if time.monotonic() - started > TIME_BUDGET:
                break
        if not work:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
        _logger.info(
            "Service standards: %s client(s) raised at risk, %s touchpoint(s) scheduled",
            result["raised"],
            result["touchpoints"],
        )
        return result

    @api.model
    def _refresh_with_retry(self, now, commit):
        """The refresh of every client; one that meets a concurrent edit is tried
        once more in a new transaction (the scheduled action), else left to the
        next run with a warning."""
        for attempt in (1, 2):
            try:
                with self.env.cr.savepoint():
                    return self._refresh_service_figures(now=now)
            except RETRYABLE_ERRORS as error:
                if commit and attempt == 1:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()
                    continue
                _logger.warning("Service figures not refreshed, left for the next run: %s", error)
                return []
        return []

    @api.model
    def _apply_service_batch(self, kind, batch, now, retry):
        """Raise (``kind`` = ``raise``) or give a touchpoint (``touch``) to a batch
        of clients in a savepoint; on failure, client by client.

        :return: the number of clients done
        """
        apply = self._raise_at_risk if kind == "raise" else self._schedule_touchpoints
        for attempt in (1, 2):
            try:
                with self.env.cr.savepoint():
                    return apply(batch, now)
            except RETRYABLE_ERRORS as error:
                if retry and attempt == 1:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()
                    continue
                _logger.warning(
                    "Service batch (%s) of %s clients left for the next run: %s", kind, len(batch), error
                )
                return 0
            except FATAL_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - one client's problem must not stop the others
                _logger.warning(
                    "Service batch (%s) of %s clients failed: retrying one by one", kind, len(batch)
                )
                self.env.invalidate_all()
                break
        applied = 0
        for row in batch:
            try:
                with self.env.cr.savepoint():
                    applied += apply([row], now)
            except FATAL_ERRORS:
                raise
            except Exception:  # noqa: BLE001 - skipped and logged; the next run tries again
                _logger.warning(
                    "Service standards: client %s skipped (%s)", row["client_id"], kind, exc_info=True
                )
                self.env.invalidate_all()
        return applied

    # ------------------------------------------------------------
    # AT-RISK CLIENTS
    # ------------------------------------------------------------

    @api.model
    def _raise_at_risk(self, rows, now):
        """Flag these clients (and their contacts) at risk, post why on each and
        give each owner a to-do.

        A client that ordered since it was measured, or was raised meanwhile,
        is left alone.

        :param list rows: dicts from ``_refresh_service_figures``
        :return: the number of clients raised
        """
        today = now.date()
        self.env["sale.order"].flush_model(["state", "date_order", "partner_id"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner partner
                   SET at_risk = TRUE, at_risk_since = %(today)s
                  FROM unnest(%(ids)s::int[], %(dates)s::timestamp[]) AS measured(client_id, last_order_date)
                 WHERE partner.commercial_partner_id = measured.client_id
                   AND NOT COALESCE(partner.at_risk, FALSE)
                   AND NOT EXISTS (
                        SELECT 1
                          FROM sale_order so
                          JOIN res_partner customer ON customer.id = so.partner_id
                         WHERE customer.commercial_partner_id = measured.client_id
                           AND so.state = 'sale'
                           AND so.date_order > measured.last_order_date)
             RETURNING partner.commercial_partner_id
                """,
                today=today,
                ids=[row["client_id"] for row in rows],
                dates=[row["last_order_date"] for row in rows],
            )
        )
        raised = {client_id for (client_id,) in self.env.cr.fetchall()}
        self.env["res.partner"].invalidate_model(["at_risk", "at_risk_since"])
        rows = [row for row in rows if row["client_id"] in raised]
        if not rows:
            return 0
        owners = self.env["res.users"].sudo().browse({row["user_id"] for row in rows if row["user_id"]})
        owner_of = {owner.id: owner for owner in owners}
        bodies, todos = {}, []
        for row in rows:
            owner = owner_of.get(row["user_id"], owners.browse())
            env = self.with_context(lang=owner.lang or self.env.lang).env
            body = self._at_risk_body(env, row)
            bodies[row["client_id"]] = body
            if owner.active and not owner.share:
                todos.append(
                    {
                        "res_id": row["client_id"],
                        "user_id": owner.id,
                        "summary": env._("Client at risk: win it back"),
                        "note": body,
                    }
                )
        clients = self.env["res.partner"].sudo().browse(bodies)
        log_notes(clients, bodies)
        schedule_activities(
            self.env["res.partner"],
            todos,
            self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False),
            today,
        )
        return len(rows)

    @api.model
    def _at_risk_body(self, env, row):
        # (Figures formatted before the call: the translations' extractor cannot read f-strings.)
        rhythm, factor = "{:g}".format(row["purchase_interval_days"]), "{:g}".format(row["factor"])
        return Markup("<p><b>%s</b></p><p>%s</p>") % (
            env._("Client at risk of leaving"),
            env._(
                "Usually orders every %(rhythm)s days; last order %(days)s days ago (%(date)s), more than "
                "%(factor)s times its rhythm.",
                rhythm=rhythm,
                days=int(row["days_since_order"]),
                date=format_date(env, row["last_order_date"]),
                factor=factor,
            ),
        )

    # ------------------------------------------------------------
    # TOUCHPOINTS
    # ------------------------------------------------------------

    @api.model
    def _touchpoint_candidates(self):
        """The clients due or overdue whose owner has no open activity of the
        standard's type on them or their contacts (one query).

        :return: dicts (``client_id``, ``user_id``, ``activity_type_id``,
            ``next_touch_date``, ``last_touch_date``, ``standard_id``), by client id
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT client.id AS client_id, client.user_id, s.activity_type_id, client.next_touch_date,
                       client.last_touch_date, s.id AS standard_id
                  FROM res_partner client
                  JOIN sales_service_standard s ON s.id = client.service_standard_id
                  JOIN res_users owner ON owner.id = client.user_id AND owner.active AND NOT owner.share
                 WHERE (client.is_company OR client.parent_id IS NULL)  -- the commercial partners
                   AND client.active
                   AND client.service_status IN ('due', 'overdue')
                   AND NOT EXISTS (
                        SELECT 1
                          FROM mail_activity activity
                          JOIN res_partner contact ON contact.id = activity.res_id
                         WHERE activity.res_model = 'res.partner'
                           AND activity.active
                           AND activity.activity_type_id = s.activity_type_id
                           AND contact.commercial_partner_id = client.id)
              ORDER BY client.id
                """
            )
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _schedule_touchpoints(self, rows, now):
        """One touchpoint activity per client, for its owner, due on its next
        touch date.

        :return: the number of touchpoints scheduled
        """
        standards = self.env["sales.service.standard"].sudo().browse({row["standard_id"] for row in rows})
        standard_of = {standard.id: standard for standard in standards}
        owners = self.env["res.users"].sudo().browse({row["user_id"] for row in rows})
        owner_of = {owner.id: owner for owner in owners}
        texts = {}
        todos = []
        for row in rows:
            owner = owner_of[row["user_id"]]
            standard = standard_of[row["standard_id"]]
            key = (owner.lang, standard.id)
            if key not in texts:
                env = self.with_context(lang=owner.lang or self.env.lang).env
                texts[key] = (env, env._("Touchpoint: %(standard)s", standard=standard.with_env(env).name))
            env, summary = texts[key]
            todos.append(
                {
                    "res_id": row["client_id"],
                    "user_id": row["user_id"],
                    "activity_type_id": row["activity_type_id"],
                    "date_deadline": row["next_touch_date"],
                    "summary": summary,
                    "note": self._touchpoint_note(env, row, standard),
                }
            )
        schedule_activities(self.env["res.partner"], todos)
        return len(rows)

    @api.model
    def _touchpoint_note(self, env, row, standard):
        days = standard.contact_interval_days
        if row["last_touch_date"]:
            text = env._(
                "Last touch on %(date)s; “%(standard)s” asks for a touch every %(days)s days.",
                date=format_date(env, row["last_touch_date"]),
                standard=standard.with_env(env).name,
                days=days,
            )
        else:
            text = env._(
                "Never touched yet; “%(standard)s” asks for a touch every %(days)s days.",
                standard=standard.with_env(env).name,
                days=days,
            )
        return Markup("<p>%s</p>") % text
