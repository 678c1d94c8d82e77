from odoo import api, fields, models
from odoo.tools import SQL

from .res_partner import LIFECYCLE_STATES


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
        return super().write(vals)

    def _action_confirm(self):
        self._stamp_client_lifecycle()
        self._stamp_sales_territory()
        res = super()._action_confirm()
        # An order is a touch, and it clears the at-risk flag at once.
        self._refresh_clients_service_later()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self._refresh_clients_service_later()
        return res

    def _refresh_clients_service_later(self):
        self.env["sales.service.engine"]._service_refresh_later(
            client_ids=self.partner_id.commercial_partner_id.ids
        )

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
        for order in self:
            territory = order.partner_id.commercial_partner_id.sales_territory_id
            if order.sales_territory_id != territory:
                order.sudo().sales_territory_id = territory

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
            conditions.append(SQL("customer.commercial_partner_id = ANY(%s)", list(client_ids)))
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
    def _first_confirmed_orders_sql(self):
        """SQL of each client's first confirmed order (the one that won it):
        (client_id, order_id, date_order, user_id, company_id), one row per
        commercial partner. Shared by the install-time classification and the
        hunter conversion report."""
        return SQL(
            """
            SELECT DISTINCT ON (o.client_id) o.client_id, o.order_id, o.date_order, o.user_id, o.company_id
              FROM (%s) o
          ORDER BY o.client_id, o.date_order, o.order_id
            """,
            self._confirmed_orders_sql(),
        )
