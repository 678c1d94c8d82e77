from odoo import api, fields, models
from odoo.tools.sql import column_exists, create_column

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

    def write(self, vals):
        self._sales_check_protected_write(vals)
        return super().write(vals)

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
