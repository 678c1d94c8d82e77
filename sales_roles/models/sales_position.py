from odoo import fields, models

SALES_ROLES = [
    ("scout", "Scout"),
    ("hunter", "Hunter"),
    ("farmer", "Farmer"),
    ("hybrid", "Hybrid"),
]


class SalesPosition(models.Model):
    _name = "sales.position"
    _description = "Sales Position"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sales_role = fields.Selection(
        SALES_ROLES,
        required=True,
        default="hunter",
        help="Scouts qualify leads, hunters win new clients, farmers keep and grow "
        "regular clients, hybrid positions (technical support, product, territory "
        "and regional managers) work with both new and existing clients.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    user_ids = fields.One2many("res.users", "sales_position_id", string="Users")
    user_count = fields.Integer(compute="_compute_user_count", string="Number of Users")

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A sales position with this name already exists."),
    ]

    def _compute_user_count(self):
        counts = dict(
            self.env["res.users"]._read_group(
                [("sales_position_id", "in", self.ids)], ["sales_position_id"], ["__count"]
            )
        )
        for position in self:
            position.user_count = counts.get(position, 0)
