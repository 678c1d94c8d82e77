from odoo import api, fields, models

from .sale_order_line import QUOTATION_STATES


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "sales.protected.mixin"]

    _sales_protected_fields = ("product_manager_id",)

    product_manager_id = fields.Many2one(
        "res.users",
        index="btree_not_null",
        domain="[('share', '=', False)]",
        help="Answers for the sales of this product, new and regular clients alike. "
        "Leave empty to use the product manager of its category.",
    )

    @api.model
    def _prepare_create_values(self, vals_list):
        # product.product reaches it too: its creation creates the template.
        vals_list = super()._prepare_create_values(vals_list)
        self._sales_check_protected_create(vals_list)
        return vals_list

    def write(self, vals):
        # product.product writes the template's product_manager_id through _inherits.
        self._sales_check_protected_write(vals)
        if "categ_id" in vals:
            # The targets on the categories it leaves and joins (and those above).
            categories = self.categ_id | self.env["product.category"].browse(vals["categ_id"])
            self.env["sales.target"]._mark_scopes_achievement_changed("product_categ_ids", categories)
        # Its category names a product's manager too (see _check_managers_kept).
        managers = self._get_product_managers() if self._sales_moves_managed(vals, "categ_id") else None
        result = super().write(vals)
        if managers is not None:
            self._check_managers_kept(managers)
        if {"product_manager_id", "categ_id"} & vals.keys():
            # Who manages which targets is read from the organisation: forget what was computed.
            self.env["sales.target"].invalidate_model(["product_manager_id", "scope_manager_ids"])
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
