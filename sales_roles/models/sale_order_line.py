from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

# What a line counts for in its salesperson's targets.
ACHIEVEMENT_KEYS = {
    "product_id",
    "product_uom_qty",
    "price_unit",
    "discount",
    "tax_id",
    "display_type",
    "order_id",
}

# While an order is a quotation its lines follow their products' managers.
QUOTATION_STATES = ("draft", "sent")


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "sales.protected.mixin"]

    # Written only by write(): the ORM computes it at create (a readonly
    # precomputed field is dropped from the create values).
    _sales_protected_fields = ("product_manager_id",)

    # Sales are credited to whoever managed the product when it sold: the
    # value follows the product on quotations and stays as it was at
    # confirmation (product and category changes only update quotations, see
    # product.template.write); Sales Administrators re-credit a past period
    # with the sales.matrix.recompute.wizard.
    product_manager_id = fields.Many2one(
        "res.users",
        compute="_compute_product_manager_id",
        store=True,
        # Computed when the line is created, not lazily after a later change of the organisation.
        precompute=True,
        index="btree_not_null",
        help="The product's manager (the product's own, else its category's up the tree), "
        "as it was when the order was confirmed.",
    )

    def _auto_init(self):
        # No product manager exists at install: create the column empty rather
        # than let the ORM compute it for every existing order line.
        if not column_exists(self.env.cr, "sale_order_line", "product_manager_id"):
            create_column(self.env.cr, "sale_order_line", "product_manager_id", "int4")
        return super()._auto_init()

    @api.depends("product_id")
    def _compute_product_manager_id(self):
        managers = self.product_id.product_tmpl_id._get_product_managers()
        for line in self:
            line.product_manager_id = managers.get(line.product_id.product_tmpl_id, False)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._mark_achievement_changed()
        return lines

    def write(self, vals):
        self._sales_check_protected_write(vals)
        res = super().write(vals)
        if ACHIEVEMENT_KEYS & vals.keys():
            self._mark_achievement_changed()
        return res

    def unlink(self):
        orders = self.order_id
        res = super().unlink()
        self.env["sales.target"]._mark_orders_achievement_changed(
            orders.exists().filtered(lambda order: order.state == "sale")
        )
        return res

    def _mark_achievement_changed(self):
        """The lines of confirmed orders changed: so did their targets' achievement."""
        confirmed = self.order_id.filtered(lambda order: order.state == "sale")
        self.env["sales.target"]._mark_orders_achievement_changed(confirmed)

    def _update_product_manager(self):
        """Set each line's manager from its product as of now.

        :return: the lines whose manager changed
        """
        managers = self.product_id.product_tmpl_id._get_product_managers()
        changed_ids_by_manager = {}
        for line in self:
            manager = managers.get(line.product_id.product_tmpl_id, self.env["res.users"])
            if line.product_manager_id != manager:
                changed_ids_by_manager.setdefault(manager, []).append(line.id)
        # One UPDATE per manager, not per line.
        for manager, line_ids in changed_ids_by_manager.items():
            self.browse(line_ids).write({"product_manager_id": manager.id})
        return self.browse([line_id for line_ids in changed_ids_by_manager.values() for line_id in line_ids])

    @api.model
    def _confirmed_lines_sql(
        self, company_ids=None, user_ids=None, client_ids=None, date_from=None, date_to=None
    ):
        """SQL of the lines of confirmed orders, one row each: ``line_id``,
        ``order_id``, ``client_id`` (the commercial partner who bought),
        ``company_id``, ``user_id`` (the order's salesperson), ``date_order``,
        ``product_id``, ``categ_id`` (the product's category), ``territory_id``
        (the order's stamped territory), ``product_manager_id`` (the line's stamped
        one) and ``amount``, the untaxed subtotal in the company currency.

        The line-level twin of ``sale.order._confirmed_orders_sql``: same orders,
        same conversion (as sale.report; a line without a rate counts at par).
        Each filter is a list of values or an ``SQL`` expression of the same type.

        :param company_ids: only the lines of orders of these companies
        :param user_ids: only those of these salespeople
        :param client_ids: only those of these commercial partners
        :param date_from: only those of orders dated at or after this UTC datetime
        :param date_to: only those of orders dated before this UTC datetime
        """
        conditions = [SQL("so.state = 'sale'"), SQL("sol.display_type IS NULL")]
        if company_ids is not None:
            conditions.append(SQL("so.company_id = ANY(%s)", company_ids))
        if user_ids is not None:
            conditions.append(SQL("so.user_id = ANY(%s)", user_ids))
        if client_ids is not None:
            # Through the index on the orders' partner (see sale.order._confirmed_orders_sql).
            conditions.append(
                SQL(
                    "so.partner_id = ANY(ARRAY(SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s)))",
                    client_ids,
                )
            )
        if date_from is not None:
            conditions.append(SQL("so.date_order >= %s", date_from))
        if date_to is not None:
            conditions.append(SQL("so.date_order < %s", date_to))
        return SQL(
            """
            SELECT sol.id AS line_id,
                   so.id AS order_id,
                   customer.commercial_partner_id AS client_id,
                   so.company_id,
                   so.user_id,
                   so.date_order,
                   sol.product_id,
                   template.categ_id,
                   so.sales_territory_id AS territory_id,
                   sol.product_manager_id,
                   sol.price_subtotal
                     / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate END AS amount
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner customer ON customer.id = so.partner_id
         LEFT JOIN product_product product ON product.id = sol.product_id
         LEFT JOIN product_template template ON template.id = product.product_tmpl_id
             WHERE %s
            """,
            SQL(" AND ").join(conditions),
        )
