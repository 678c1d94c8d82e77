from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import LIFECYCLE_STATES, SERVICE_STATUSES


class SalesServiceReport(models.Model):
    """One row per client under a service standard or at risk: its owner, team,
    standard and status, whether it is overdue, its purchase rhythm, days since
    its last order and its last 12 months' sales (its "sales at risk" when at
    risk). The figures are the ones the service job keeps on the clients."""

    _name = "sales.service.report"
    _description = "Service Level Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "service_status desc, next_touch_date, id"

    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    user_id = fields.Many2one("res.users", string="Owner", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    sales_lifecycle_state = fields.Selection(LIFECYCLE_STATES, string="Lifecycle State", readonly=True)
    service_standard_id = fields.Many2one("sales.service.standard", readonly=True)
    service_status = fields.Selection(SERVICE_STATUSES, readonly=True)
    last_touch_date = fields.Datetime(string="Last Touch", readonly=True)
    next_touch_date = fields.Date(string="Next Touch", readonly=True)
    overdue_count = fields.Integer(string="Overdue Clients", readonly=True, aggregator="sum")
    compliance = fields.Float(
        string="Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the clients under a standard that are not overdue.",
    )
    at_risk = fields.Boolean(readonly=True)
    at_risk_since = fields.Date(readonly=True)
    at_risk_count = fields.Integer(string="Clients at Risk", readonly=True, aggregator="sum")
    purchase_interval_days = fields.Float(
        string="Purchase Rhythm (Days)", digits=(16, 1), readonly=True, aggregator="avg"
    )
    last_order_date = fields.Datetime(string="Last Order", readonly=True)
    days_since_last_order = fields.Float(digits=(16, 0), readonly=True, aggregator="avg")
    sales_12_months = fields.Monetary(
        string="Sales (12 Months)",
        readonly=True,
        currency_field="currency_id",
        help="Untaxed confirmed sales of the last 12 months, in the company currency, as of the last "
        "service refresh (every night and at every confirmation or cancellation).",
    )
    sales_at_risk = fields.Monetary(
        string="Sales at Risk",
        readonly=True,
        currency_field="currency_id",
        help="The last 12 months' sales of the clients at risk.",
    )

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        return SQL(
            """
            SELECT client.id AS id,
                   client.id AS partner_id,
                   client.user_id,
                   client.team_id,
                   company.id AS company_id,
                   company.currency_id,
                   client.sales_lifecycle_state,
                   client.service_standard_id,
                   COALESCE(client.service_status, 'none') AS service_status,
                   client.last_touch_date,
                   client.next_touch_date,
                   (client.service_status = 'overdue')::int AS overdue_count,
                   CASE
                       WHEN client.service_standard_id IS NULL THEN NULL
                       WHEN client.service_status = 'overdue' THEN 0.0
                       ELSE 100.0
                   END AS compliance,
                   COALESCE(client.at_risk, FALSE) AS at_risk,
                   client.at_risk_since,
                   COALESCE(client.at_risk, FALSE)::int AS at_risk_count,
                   client.purchase_interval_days,
                   client.last_order_date,
                   FLOOR(EXTRACT(EPOCH FROM %(now)s - client.last_order_date) / 86400.0) AS days_since_last_order,
                   COALESCE(client.sales_12_months, 0) AS sales_12_months,
                   CASE WHEN client.at_risk THEN COALESCE(client.sales_12_months, 0) ELSE 0 END AS sales_at_risk
              FROM res_partner client
         LEFT JOIN sales_service_standard standard ON standard.id = client.service_standard_id
              JOIN res_company company
                ON company.id = COALESCE(standard.company_id, client.company_id, (
                       SELECT u.company_id FROM res_users u WHERE u.id = client.user_id))
             WHERE (client.is_company OR client.parent_id IS NULL)  -- the clients, not their contacts
               AND client.active
               AND (client.service_standard_id IS NOT NULL OR client.at_risk)
            """,
            now=now,
        )
