from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .sales_position import SALES_ROLES


class ResUsers(models.Model):
    _inherit = "res.users"

    sales_position_id = fields.Many2one(
        "sales.position",
        index="btree_not_null",
        help="The user's position in the sales organisation; it sets the sales role.",
    )
    sales_role = fields.Selection(
        SALES_ROLES,
        compute="_compute_sales_role",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="Hunters win new clients, farmers keep regular clients: automatic "
        "handovers give clients to the farmers of the target sales team.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "tz" in vals:
            # Targets count their days in their salesperson's time zone.
            Target = self.env["sales.target"]
            Target._mark_achievement_changed(Target.sudo().search([("user_id", "in", self.ids)]))
        return res

    @api.depends("sales_position_id.sales_role")
    def _compute_sales_role(self):
        # Without a position the role stays what was chosen by hand.
        for user in self.filtered("sales_position_id"):
            user.sales_role = user.sales_position_id.sales_role

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_handovers(self):
        Handover = self.env["sales.handover"].sudo()
        users = self.browse()
        for name in ("from_user_id", "to_user_id", "decided_by_id"):
            for (user,) in Handover._read_group([(name, "in", self.ids)], [name]):
                users |= user
        if users:
            raise UserError(
                _(
                    "%(users)s cannot be deleted: the handover log names them as owners of clients. "
                    "Archive them instead.",
                    users=", ".join(users.mapped("name")[:10]),
                )
            )
