from odoo import api, fields, models
from odoo.tools import SQL

from .sale_order_line import QUOTATION_STATES


class ProductCategory(models.Model):
    _name = "product.category"
    _inherit = ["product.category", "sales.protected.mixin"]

    _sales_protected_fields = ("product_manager_id",)

    product_manager_id = fields.Many2one(
        "res.users",
        index="btree_not_null",
        domain="[('share', '=', False)]",
        help="Answers for the sales of the products of this category and of its sub-categories, "
        "unless a product or a closer category names its own product manager.",
    )

    @api.model
    def _prepare_create_values(self, vals_list):
        vals_list = super()._prepare_create_values(vals_list)
        self._sales_check_protected_create(vals_list)
        return vals_list

    def write(self, vals):
        self._sales_check_protected_write(vals)
        if "parent_id" in vals:
            # The targets on the parents it leaves and joins (and those above).
            parents = self.parent_id | self.browse(vals["parent_id"])
            self.env["sales.target"]._mark_scopes_achievement_changed("product_categ_ids", parents)
        # A category without its own manager takes its parent's (see _check_managers_kept).
        moved = (
            self.search([("id", "child_of", self.ids)])
            if self._sales_moves_managed(vals, "parent_id")
            else None
        )
        managers = moved._get_product_managers() if moved is not None else None
        result = super().write(vals)
        if moved is not None:
            moved._check_managers_kept(managers)
        if {"product_manager_id", "parent_id"} & vals.keys():
            # Who manages which targets is read from the organisation: forget what was computed.
            self.env["sales.target"].invalidate_model(["product_manager_id", "scope_manager_ids"])
            # Quotations follow the new organisation; confirmed orders keep theirs.
            lines = (
                self.env["sale.order.line"]
                .sudo()
                .search([("product_id.categ_id", "child_of", self.ids), ("state", "in", QUOTATION_STATES)])
            )
            lines._update_product_manager()
        return result

    def _get_product_managers(self):
        """The manager of each category: its own, else the nearest one up the tree.

        :return: dict product.category -> res.users (possibly empty)
        """
        ancestors = self.browse(
            {int(cid) for path in self.mapped("parent_path") for cid in path.split("/")[:-1]}
        )
        manager_by_id = {categ.id: categ.product_manager_id for categ in ancestors}
        return {
            categ: next(
                (
                    manager_by_id[int(cid)]
                    for cid in reversed(categ.parent_path.split("/")[:-1])
                    if manager_by_id[int(cid)]
                ),
                self.env["res.users"],
            )
            for categ in self
        }

    @api.model
    def _product_manager_sql(self, category_id):
        """SQL twin of ``_get_product_managers``: the manager of the category
        whose id is the SQL expression ``category_id``, its own, else the
        nearest one up the tree (NULL when nobody manages it)."""
        return SQL(
            """(
                SELECT ancestor.product_manager_id
                  FROM product_category category
                  JOIN product_category ancestor
                    ON ancestor.id = ANY(string_to_array(rtrim(category.parent_path, '/'), '/')::int[])
                 WHERE category.id = %s
                   AND ancestor.product_manager_id IS NOT NULL
              ORDER BY length(ancestor.parent_path) DESC
                 LIMIT 1
            )""",
            category_id,
        )
