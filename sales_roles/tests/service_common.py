from datetime import datetime

from odoo import fields

from .common import SalesRolesCase


class ServiceCase(SalesRolesCase):
    """A regular-client standard (every 30 days, 3 days ahead, a call), an
    account manager owning the clients, and helpers to touch them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Standard = cls.env["sales.service.standard"]
        cls.Engine = cls.env["sales.service.engine"]
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.cron = cls.env.ref("sales_roles.ir_cron_sales_service")
        cls.cron.active = True
        cls.regular_standard = cls.Standard.create(
            {
                "name": "Regular clients: every 30 days",
                "lifecycle_state": "regular",
                "contact_interval_days": 30,
                "lead_days": 3,
                "activity_type_id": cls.call.id,
            }
        )
        # An "own documents" account manager, as Settings > Users makes one.
        cls.manager_farmer = cls._settings_user("sv_farmer", name="Anna Account")

    @classmethod
    def _regular_client(cls, name, owner=None, **vals):
        """A regular client of ``owner`` (the account manager by default), no order."""
        return cls._client(
            name, user_id=(owner or cls.manager_farmer).id, sales_lifecycle_state="regular", **vals
        )

    @classmethod
    def _order_on(cls, client, when, amount=100.0, user=None):
        """A confirmed order dated ``when`` (a 'YYYY-MM-DD HH:MM:SS' string or datetime)."""
        return cls._order(client, amount=amount, user=user, date=fields.Datetime.to_datetime(when))

    def _refresh(self, when=None, clients=None):
        """The refresh of every client (or of ``clients``) as of ``when``."""
        now = fields.Datetime.to_datetime(when) if when else None
        return self.Engine._refresh_service_figures(clients.ids if clients else None, now=now)

    def _commit_touches(self):
        """What happens at the end of every request: the touches of the
        transaction refresh their clients (Odoo's precommit hooks)."""
        self.env.flush_all()
        self.env.cr.flush()

    def _status(self, client):
        return (
            client.service_status,
            client.next_touch_date and fields.Date.to_string(client.next_touch_date),
        )

    @staticmethod
    def _at(text):
        return datetime.fromisoformat(text)
