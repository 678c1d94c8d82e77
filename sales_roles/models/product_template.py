from odoo import fields, models

from .sale_order_line import QUOTATION_STATES


class ProductTemplate(models.Model):
    _inherit = "product.template"

    product_manager_id = fields.Many2one(
        "res.users",
        index="btree_not_null",
        domain="[('share', '=', False)]",
        help="Answers for the sales of this product, new and regular clients alike. "
        "Leave empty to use the product manager of its category.",
    )

    def write(self, vals):
        result = super().write(vals)
        if {"product_manager_id", "categ_id"} & vals.keys():
            # Quotations follow the new organisation; confirmed orders keep theirs.
            lines = (
                self.env["sale.order.line"]
                .sudo()
                .search([("product_id.product_tmpl_id", "in", self.ids), ("state", "in", QUOTATION_STATES)])
            )
            lines._update_product_manager()
        return result

    def _get_product_managers(self):
        """The effective manager of each product: its own, else its category's (up the tree).

        :return: dict product.template -> res.users (possibly empty)
        """
        by_category = self.categ_id._get_product_managers()
        return {
            template: template.product_manager_id or by_category.get(template.categ_id, self.env["res.users"])
            for template in self
        }
