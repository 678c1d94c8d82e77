from odoo import fields, models
from odoo.tools import SQL

from ..models.sales_target import PACE_STATUSES


class SalesTargetReport(models.Model):
    """Targets against what was achieved, one row per target: the target
    layer of the Sales Matrix (salesperson × product manager × territory),
    by period. Achieved amounts are the targets' own, kept on each target
    (``sales.target.achieved_amount``: flushed before the report is read)."""

    _name = "sales.target.report"
    _description = "Targets vs Achieved"
    _auto = False
    _rec_name = "name"
    _order = "date_from desc, user_id"
    # Flushed before the report is read.
    _depends = {
        "sales.target": [
            "achieved_amount",
            "name",
            "company_id",
            "user_id",
            "manager_id",
            "date_from",
            "date_to",
            "amount",
            "product_ids",
            "product_categ_ids",
            "territory_id",
        ],
        "product.template": ["categ_id", "product_manager_id"],
        "product.category": ["parent_path", "product_manager_id"],
    }

    target_id = fields.Many2one("sales.target", string="Sales Target", readonly=True)
    name = fields.Char(string="Target Name", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    manager_id = fields.Many2one("res.users", string="Set By", readonly=True)
    product_manager_id = fields.Many2one("res.users", readonly=True)
    territory_id = fields.Many2one("sales.territory", readonly=True)
    date_from = fields.Date(string="From", readonly=True)
    date_to = fields.Date(string="To", readonly=True)
    amount = fields.Monetary(string="Target", readonly=True)
    achieved_amount = fields.Monetary(string="Achieved", readonly=True)
    expected_amount = fields.Monetary(string="Expected by Today", readonly=True)
    gap_amount = fields.Monetary(string="Remaining", readonly=True)
    progress = fields.Float(string="Progress (%)", readonly=True, aggregator=None)
    pace_status = fields.Selection(PACE_STATUSES, string="Pace", readonly=True)

    @property
    def _table_query(self):
        Target = self.env["sales.target"]
        today = fields.Date.context_today(self)
        days = SQL("(target.date_to - target.date_from + 1)")
        elapsed = SQL("LEAST(GREATEST(%s - target.date_from, 0), %s)", today, days)
        achieved = SQL("COALESCE(target.achieved_amount, 0)")
        expected = SQL("target.amount * %s / %s", elapsed, days)
        # As sales.target._pace_status says it, amounts compared at the currency's precision.
        reached = SQL("ROUND((%s - target.amount)::numeric, currency.decimal_places) >= 0", achieved)
        on_pace = SQL("ROUND((%s - %s)::numeric, currency.decimal_places) >= 0", achieved, expected)
        return SQL(
            """
            WITH product_manager AS (%(product_manager_sql)s)
            SELECT target.id,
                   target.id AS target_id,
                   target.name,
                   target.company_id,
                   company.currency_id,
                   target.user_id,
                   salesperson.sale_team_id AS team_id,
                   target.manager_id,
                   product_manager.product_manager_id,
                   target.territory_id,
                   target.date_from,
                   target.date_to,
                   target.amount,
                   %(achieved)s AS achieved_amount,
                   %(expected)s AS expected_amount,
                   GREATEST(target.amount - %(achieved)s, 0) AS gap_amount,
                   %(achieved)s / target.amount * 100 AS progress,
                   CASE WHEN %(reached)s THEN 'reached'
                        WHEN %(today)s < target.date_from THEN 'upcoming'
                        WHEN %(today)s > target.date_to THEN 'missed'
                        WHEN %(on_pace)s THEN 'on_pace'
                        ELSE 'behind'
                   END AS pace_status
              FROM sales_target target
              JOIN res_company company ON company.id = target.company_id
              JOIN res_currency currency ON currency.id = company.currency_id
              JOIN res_users salesperson ON salesperson.id = target.user_id
         LEFT JOIN product_manager ON product_manager.target_id = target.id
            """,
            product_manager_sql=Target._scope_product_manager_sql(),
            achieved=achieved,
            expected=expected,
            reached=reached,
            on_pace=on_pace,
            today=today,
        )
