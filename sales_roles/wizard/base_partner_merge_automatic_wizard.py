from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        # Before anything is moved: refuse a merge that would change the
        # destination's lifecycle data for users who may not edit it.
        partners = self.env["res.partner"].browse(partner_ids).exists()
        if len(partners) < 2:
            return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        if not dst_partner or dst_partner not in partners:
            # Odoo's own choice of destination (see super)
            dst_partner = self._get_ordered_partner(partners.ids)[-1]
        dst_partner._check_sales_merge(partners - dst_partner)
        dst_partner._service_prepare_merge(partners - dst_partner)
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        # The merged client's touches and orders are now all its own.
        self.env["sales.service.engine"]._service_refresh_later(
            partner_ids=dst_partner.ids, orders_changed=True
        )
        return res
