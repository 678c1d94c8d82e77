from odoo import fields, models
from odoo.tools import SQL

from ..models.res_partner import LIFECYCLE_STATES


class SalesHunterReport(models.Model):
    """One row per client won by a hunter: when it was won, and whether and when
    it was converted (handed over from new client to regular client or key
    account; a handover keeping it new, e.g. to another hunter, is no
    conversion). Measures the hunters' conversion."""

    _name = "sales.hunter.report"
    _description = "Hunter Conversion Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "won_date desc"

    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    hunter_id = fields.Many2one("res.users", readonly=True)
    user_id = fields.Many2one("res.users", string="Current Owner", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    sales_lifecycle_state = fields.Selection(LIFECYCLE_STATES, string="Lifecycle State", readonly=True)
    won_date = fields.Datetime(
        string="Won On", readonly=True, help="Date of the client's first confirmed order."
    )
    handover_date = fields.Datetime(
        string="Handed Over On",
        readonly=True,
        help="Date of the client's first handover from new client to regular client or key account.",
    )
    handed_over_count = fields.Integer(string="Handed Over", readonly=True, aggregator="sum")
    conversion_rate = fields.Float(
        string="Conversion (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the won clients that were handed over to a farmer.",
    )
    days_to_handover = fields.Float(
        string="Days to Handover",
        readonly=True,
        aggregator="avg",
        help="Days from the first order to the handover.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH first_handover AS (
                SELECT partner_id, MIN(date) AS handover_date
                  FROM sales_handover
                 WHERE state = 'done'
                   AND from_state = 'new'
                   AND to_state IN ('regular', 'key')
              GROUP BY partner_id
            )
            SELECT client.id AS id,
                   client.id AS partner_id,
                   client.hunter_id,
                   client.user_id,
                   client.team_id,
                   won.company_id,
                   client.sales_lifecycle_state,
                   won.date_order AS won_date,
                   first_handover.handover_date,
                   (first_handover.handover_date IS NOT NULL)::int AS handed_over_count,
                   CASE WHEN first_handover.handover_date IS NULL THEN 0.0 ELSE 100.0 END AS conversion_rate,
                   EXTRACT(EPOCH FROM first_handover.handover_date - won.date_order) / 86400.0
                       AS days_to_handover
              FROM res_partner client
              -- the first order, as kept on the client: no pass over every order
              JOIN sale_order won ON won.id = client.first_order_id
         LEFT JOIN first_handover ON first_handover.partner_id = client.id
             WHERE client.hunter_id IS NOT NULL
               AND (client.is_company OR client.parent_id IS NULL)  -- the commercial partners
            """
        )
