from odoo import _, api, models
from odoo.exceptions import AccessError


class SalesProtectedMixin(models.AbstractModel):
    """Fields that only Sales Administrators and the system change.

    Ownership and crediting (a client's lifecycle state and hunter, product
    managers, the values stamped on confirmed orders) decide who sees and is
    credited with which sales: a salesperson must not set them on any path.
    A model lists them in ``_sales_protected_fields`` and calls
    ``_sales_check_protected_write`` from its ``write`` and
    ``_sales_check_protected_create`` from ``_prepare_create_values`` (which
    sees the values of ``default_*`` context keys and ``ir.default``, unlike
    ``create``). Writing the value a record already has is not a change:
    re-importing an export, Odoo's commercial sync and partner merges keep
    working.
    """

    _name = "sales.protected.mixin"
    _description = "Fields Reserved to Sales Administrators"

    # The names of the protected fields, set by each model.
    _sales_protected_fields = ()

    @api.model
    def _sales_may_edit_protected(self):
        """Sales Administrators, and the system: order confirmation, rules and
        wizards write these fields through a narrow ``sudo()``."""
        return self.env.su or self.env.user.has_group("sales_team.group_sale_manager")

    @api.model
    def _sales_normalize(self, name, value):
        """``value`` as the ORM keeps it in cache, whether it comes from a
        record (a record, a datetime) or from ``write`` (an id, a string)."""
        return self._fields[name].convert_to_cache(value, self, validate=False)

    def _sales_values(self, names=None):
        """The normalized values of the protected fields (or ``names``) of one record."""
        self.ensure_one()
        return {
            name: self._sales_normalize(name, self[name]) for name in names or self._sales_protected_fields
        }

    def _sales_changed_fields(self, vals):
        """The protected fields of ``vals`` that differ from the value of a record of ``self``."""
        changed = []
        for name in self._sales_protected_fields:
            if name not in vals:
                continue
            value = self._sales_normalize(name, vals[name])
            if any(self._sales_normalize(name, record[name]) != value for record in self):
                changed.append(name)
        return changed

    @api.model
    def _sales_create_allowed_values(self, vals):
        """What a user who is not a Sales Administrator may give each protected
        field when creating a record from ``vals``: the plain default.

        :return: dict field name -> set of normalized values
        """
        return {name: {self._sales_normalize(name, False)} for name in self._sales_protected_fields}

    @api.model
    def _sales_field_labels(self, names):
        return ", ".join("“%s”" % self._fields[name]._description_string(self.env) for name in names)

    @api.model
    def _sales_protected_error(self, names):
        return AccessError(
            _(
                "Only Sales Administrators can change %(fields)s (%(model)s).",
                fields=self._sales_field_labels(names),
                model=self.env["ir.model"]._get(self._name).name,
            )
        )

    def _sales_check_protected_write(self, vals):
        """Refuse, unless a Sales Administrator or the system writes, a write
        that changes a protected field of a record of ``self``."""
        if not vals.keys() & set(self._sales_protected_fields) or self._sales_may_edit_protected():
            return
        changed = self._sales_changed_fields(vals)
        if changed:
            raise self._sales_protected_error(changed)

    @api.model
    def _sales_check_protected_create(self, vals_list):
        """Refuse, unless a Sales Administrator or the system creates, records
        whose protected fields (defaults included) are not the allowed ones."""
        if self._sales_may_edit_protected():
            return
        for vals in vals_list:
            given = vals.keys() & set(self._sales_protected_fields)
            if not given:
                continue
            allowed = self._sales_create_allowed_values(vals)
            refused = [
                name
                for name in self._sales_protected_fields
                if name in given and self._sales_normalize(name, vals[name]) not in allowed[name]
            ]
            if refused:
                raise self._sales_protected_error(refused)

    def _sales_moves_managed(self, vals, name):
        """Whether this write of ``name`` (a category, a parent category) must keep
        the product managers as they are: for users who may not set them."""
        return name in vals and bool(self) and not self._sales_may_edit_protected()

    def _check_managers_kept(self, before):
        """Refuse a move that changed who manages these products or categories.

        Moving a product to another category, or a category under another, hands
        it to that category's manager (and the quotations follow, re-credited as
        superuser): it sets a product manager by the side door.

        :param dict before: record -> res.users, ``_get_product_managers()`` before the move
        """
        moved = [
            record for record, manager in self._get_product_managers().items() if before[record] != manager
        ]
        if moved:
            raise AccessError(
                _(
                    "Moving %(records)s changes its “Product Manager”: only Sales Administrators can do that.",
                    records=", ".join(record.display_name for record in moved[:10]),
                )
            )
