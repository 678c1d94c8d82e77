from odoo import models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def write(self, vals):
        res = super().write(vals)
        # The leader of a rule's target team approves its proposals when the rule
        # names no approver.
        if vals.keys() & {"user_id", "active"}:
            self.env["sales.handover.rule"]._sync_approver_group()
        return res
