from odoo import api, models

from .sales_service_engine import TOUCH_MESSAGE_TYPES, TOUCHED_MODELS


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        self._register_service_touches(vals_list)
        return messages

    @api.model
    def _register_service_touches(self, vals_list):
        """Messages that may touch a client (an activity marked done, a message or
        e-mail on a client, a contact or an order) refresh its service figures
        before the transaction commits; the SQL decides what counts (e.g. only
        internal authors). Reads the values only: no query per message."""
        touched = {model: set() for model in TOUCHED_MODELS}
        for vals in vals_list:
            model, res_id = vals.get("model"), vals.get("res_id")
            if (
                model in touched
                and res_id
                and (
                    vals.get("mail_activity_type_id")
                    or vals.get("message_type", "comment") in TOUCH_MESSAGE_TYPES
                )
            ):
                touched[model].add(res_id)
        if any(touched.values()):
            self.env["sales.service.engine"]._service_refresh_later(
                partner_ids=touched["res.partner"], order_ids=touched["sale.order"]
            )
