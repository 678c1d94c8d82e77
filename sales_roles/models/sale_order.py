import threading
import time
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from .res_partner import LIFECYCLE_STATES
from .sales_handover_engine import TIME_BUDGET

# Orders that predate the addon are credited to their hunter by the scheduled
# action in ranges of this many order ids, one transaction each (a few seconds
# on a table of a million orders).
STAMP_BATCH_IDS = 20_000
# System parameters of that scheduled action: the last order id that predates
# the addon, and the last one it has gone through.
STAMP_LAST_ID = "sales_roles.historical_orders_last_id"
STAMP_DONE_ID = "sales_roles.historical_orders_stamped_id"
# What a confirmed order counts for, besides its lines: in its client's figures,
# and in the achieved amounts of its salesperson's targets.
CLIENT_FIGURE_KEYS = {"partner_id", "date_order", "currency_rate", "company_id"}
TARGET_KEYS = CLIENT_FIGURE_KEYS | {"user_id", "sales_territory_id"}


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "sales.protected.mixin"]

    # Stamped at confirmation by the system; Sales Administrators re-stamp them
    # with the sales.matrix.recompute.wizard.
    _sales_protected_fields = ("hunter_id", "sales_lifecycle_state", "sales_territory_id")

    # Snapshots taken at confirmation: reports keep crediting the order to the
    # client's situation when it was won, whatever happens to the client later.
    sales_lifecycle_state = fields.Selection(
        LIFECYCLE_STATES,
        string="Client Lifecycle State",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The client's lifecycle state when the order was confirmed.",
    )
    hunter_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The hunter who won the client, as it was when the order was confirmed.",
    )
    sales_territory_id = fields.Many2one(
        "sales.territory",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The client's territory when the order was confirmed.",
    )

    @api.model
    def _prepare_create_values(self, vals_list):
        vals_list = super()._prepare_create_values(vals_list)
        self._sales_check_protected_create(vals_list)
        return vals_list

    def write(self, vals):
        self._sales_check_protected_write(vals)
        # A confirmed order moved to another client, date, salesperson or
        # territory: what it counted for before and counts for now changes.
        moved = self.browse()
        if TARGET_KEYS & vals.keys():
            moved = self.filtered(lambda order: order.state == "sale")
        Target = self.env["sales.target"]
        Target._mark_orders_achievement_changed(moved)
        former_clients = moved.partner_id.commercial_partner_id
        res = super().write(vals)
        if moved:
            Target._mark_orders_achievement_changed(moved)
            if CLIENT_FIGURE_KEYS & vals.keys():
                moved._refresh_client_figures(also=former_clients)
        return res

    def _compute_amounts(self):
        res = super()._compute_amounts()
        # The lines of a confirmed order changed: so did what its client bought
        # (records being edited in a form are not saved yet: their save comes here again).
        edited = [order.id for order in self if order.state == "sale" and isinstance(order.id, int)]
        if edited:
            self.env["sales.service.engine"]._service_refresh_later(order_ids=edited, orders_changed=True)
        return res

    def _action_confirm(self):
        self._stamp_client_lifecycle()
        self._stamp_sales_territory()
        res = super()._action_confirm()
        self._refresh_client_figures()
        self.env["sales.target"]._mark_orders_achievement_changed(self)
        return res

    def _action_cancel(self):
        confirmed = self.filtered(lambda order: order.state == "sale")  # a quotation counted for no target
        res = super()._action_cancel()
        self._refresh_client_figures()
        self.env["sales.target"]._mark_orders_achievement_changed(confirmed)
        return res

    def _refresh_client_figures(self, also=None):
        """What the clients of these orders (and the clients ``also``) bought,
        at once (reports read it in the same transaction), and their service
        figures before the commit: an order is a touch, and it clears the
        at-risk flag."""
        clients = self.partner_id.commercial_partner_id | (also or self.env["res.partner"])
        self.env["res.partner"].sudo()._refresh_order_figures(clients.ids)
        self.env["sales.service.engine"]._service_refresh_later(client_ids=clients.ids)

    def _stamp_client_lifecycle(self):
        """Win the prospects among the clients and stamp each order with its client's state."""
        hunter_by_client = {}
        for order in self.sorted(lambda o: (o.date_order, o.id)):
            client = order.partner_id.commercial_partner_id
            if client.sales_lifecycle_state == "prospect" and client not in hunter_by_client:
                hunter_by_client[client] = order.user_id or client.user_id
        if hunter_by_client:
            self.env["res.partner"]._mark_as_won(hunter_by_client)
        for order in self:
            client = order.partner_id.commercial_partner_id
            # Salespeople confirm orders; the stamp is the system's.
            order.sudo().write(
                {"sales_lifecycle_state": client.sales_lifecycle_state, "hunter_id": client.hunter_id.id}
            )

    def _stamp_sales_territory(self):
        """Credit each order to its client's territory (the commercial partner's,
        like the lifecycle, so that all the orders of a client land in one territory
        whichever of its contacts or addresses bought)."""
        moved = defaultdict(lambda: self.browse())
        for order in self:
            territory = order.partner_id.commercial_partner_id.sales_territory_id
            if order.sales_territory_id != territory:
                moved[territory] |= order
        for territory, orders in moved.items():  # one write per territory, not per order
            orders.sudo().sales_territory_id = territory

    @api.model
    def _confirmed_orders_sql(self, company_ids=None, client_ids=None):
        """SQL of the confirmed orders, one row each: ``client_id`` (the commercial
        partner who bought, through any of its contacts), ``order_id``,
        ``company_id``, ``user_id``, ``date_order`` and ``amount``, the untaxed
        amount in the company currency (as sale.report converts it; an order
        without a rate counts at par).

        The one definition of "a client's confirmed orders" that the handover
        rules, the handovers' figures and the reports share; its line-level twin
        is ``sale.order.line._confirmed_lines_sql`` (targets, cross-sell lists).

        :param list company_ids: only the orders of these companies
        :param list client_ids: only the orders of these commercial partners
        """
        conditions = [SQL("so.state = 'sale'")]
        if company_ids is not None:
            conditions.append(SQL("so.company_id = ANY(%s)", list(company_ids)))
        if client_ids is not None:
            # Through the index on the orders' partner: left to join the clients
            # first, PostgreSQL read every order for each batch of 500 clients once
            # the table held 3 million (the nightly handovers' service refresh).
            conditions.append(
                SQL(
                    "so.partner_id = ANY(ARRAY(SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s)))",
                    list(client_ids),
                )
            )
        return SQL(
            """
            SELECT customer.commercial_partner_id AS client_id,
                   so.id AS order_id,
                   so.company_id,
                   so.user_id,
                   so.date_order,
                   so.amount_untaxed
                     / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END AS amount
              FROM sale_order so
              JOIN res_partner customer ON customer.id = so.partner_id
             WHERE %s
            """,
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _client_order_figures_sql(self, client_ids=None):
        """SQL of what each client bought, one row per commercial partner with a
        confirmed order: its first confirmed order (the one that won it) as
        ``order_id``, ``date_order``, ``user_id`` and ``company_id``, and
        ``sales_total``, the untaxed amount of all its confirmed orders (in each
        company's currency). One pass over the orders: the total is a window
        over the same sort that picks the first.

        :param list client_ids: only these commercial partners
        """
        return SQL(
            """
            SELECT DISTINCT ON (o.client_id) o.client_id, o.order_id, o.date_order, o.user_id, o.company_id,
                   SUM(o.amount) OVER (PARTITION BY o.client_id)::float8 AS sales_total
              FROM (%s) o
          ORDER BY o.client_id, o.date_order, o.order_id
            """,
            self._confirmed_orders_sql(client_ids=client_ids),
        )

    # ------------------------------------------------------------
    # ORDERS THAT PREDATE THE ADDON
    # ------------------------------------------------------------

    @api.model
    def _start_stamping_historical_orders(self):
        """At install: remember the last order that predates the addon and wake
        the scheduled action that credits the confirmed ones to their hunter.

        Installing writes no order: rewriting every confirmed order of a live
        database in the install's one transaction took most of its time (89 s
        of 115 s for a million orders), locked them all and bloated the table.
        """
        self.env.cr.execute(SQL("SELECT MAX(id) FROM sale_order"))
        last_id = self.env.cr.fetchone()[0]
        if not last_id:
            return
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(STAMP_LAST_ID, last_id)
        params.set_param(STAMP_DONE_ID, 0)
        cron = self.env.ref("sales_roles.ir_cron_stamp_historical_orders").sudo()
        cron.active = True
        cron._trigger()

    @api.model
    def _cron_stamp_historical_orders(self):
        """Credit the confirmed orders that predate the addon to their client's
        hunter, a range of ids per committed transaction, reporting progress to
        ir.cron (which calls again while some are left) and switching itself
        off when all are. Idempotent: it goes on after the last range done."""
        params = self.env["ir.config_parameter"].sudo()
        last_id = int(params.get_param(STAMP_LAST_ID) or 0)
        done_id = int(params.get_param(STAMP_DONE_ID) or 0)
        commit = not getattr(threading.current_thread(), "testing", False)
        started, first_id = time.monotonic(), done_id
        while done_id < last_id:
            upto_id = min(done_id + STAMP_BATCH_IDS, last_id)
            self._stamp_historical_orders(done_id, upto_id)
            params.set_param(STAMP_DONE_ID, upto_id)
            done_id = upto_id
            self.env["ir.cron"]._notify_progress(
                done=done_id - first_id, remaining=last_id - done_id, deactivate=done_id >= last_id
            )
            if commit:
                # Safe: each range is complete, and the next call goes on after it.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() - started > TIME_BUDGET:
                break

    @api.model
    def _stamp_historical_orders(self, after_id, upto_id):
        """Credit the confirmed orders of ids in ]after_id, upto_id] that the
        addon never stamped (no lifecycle state: confirmed before it was
        installed) to their client's hunter, in one statement.

        :return: the number of orders credited
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order so
                   SET hunter_id = client.hunter_id
                  FROM res_partner customer
                  JOIN res_partner client ON client.id = customer.commercial_partner_id
                 WHERE so.id > %s AND so.id <= %s
                   AND so.state = 'sale'
                   AND so.sales_lifecycle_state IS NULL
                   AND so.hunter_id IS NULL
                   AND customer.id = so.partner_id
                   AND client.hunter_id IS NOT NULL
                """,
                after_id,
                upto_id,
            )
        )
        stamped = self.env.cr.rowcount
        self.invalidate_model(["hunter_id"])
        return stamped
