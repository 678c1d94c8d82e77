from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..models.sales_target import PACE_STATUSES

# Conditions on a target's dates that bound which targets a search can return.
PERIOD_FIELDS = ("date_from", "date_to")
PERIOD_OPERATORS = ("=", "<", "<=", ">", ">=")


def _conjuncts(domain):
    """The conditions a normalized domain ANDs at its top level (leaves only)."""
    conditions = []

    def walk(index):
        token = domain[index]
        if token == "&":
            return walk(walk(index + 1))
        if token == "|":
            return skip(skip(index + 1))
        if token == "!":
            return skip(index + 1)
        conditions.append(token)
        return index + 1

    def skip(index):
        token = domain[index]
        if token in ("&", "|"):
            return skip(skip(index + 1))
        if token == "!":
            return skip(index + 1)
        return index + 1

    if domain:
        walk(0)
    return conditions


class SalesTargetReport(models.Model):
    """Targets against what was achieved, one row per target: the target
    layer of the Sales Matrix (salesperson × product manager × territory),
    by period. Achieved amounts come from the targets' own query
    (``sales.target._achieved_amounts_sql``), for all targets at once."""

    _name = "sales.target.report"
    _description = "Targets vs Achieved"
    _auto = False
    _rec_name = "name"
    _order = "date_from desc, user_id"
    # Flushed before the report is read.
    _depends = {
        "sales.target": [
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
        "sale.order": [
            "state",
            "company_id",
            "user_id",
            "date_order",
            "currency_rate",
            "sales_territory_id",
            "partner_id",
        ],
        "sale.order.line": ["order_id", "product_id", "price_subtotal", "display_type"],
        "product.template": ["categ_id", "product_manager_id"],
        "product.category": ["parent_path", "product_manager_id"],
        "sales.territory": ["parent_path"],
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

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # The achieved amounts cost a pass over the sales of the targets'
        # periods: when the domain bounds the periods (the dashboard's and the
        # report's period filters do), measure only the targets it can return.
        periods = self._period_conditions(domain)
        if periods:
            self = self.with_context(sales_target_report_periods=periods)
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _period_conditions(self, domain):
        """``((field, operator, date), ...)``: the domain's top-level conditions on
        the target's dates, which every row it returns meets."""
        periods = []
        for condition in _conjuncts(expression.normalize_domain(domain or [])):
            if not isinstance(condition, (list, tuple)) or len(condition) != 3:
                continue
            field, operator, value = condition
            if field not in PERIOD_FIELDS or operator not in PERIOD_OPERATORS or not value:
                continue
            try:
                day = fields.Date.to_date(value)
            except (TypeError, ValueError):
                continue
            if day:
                periods.append((field, operator, fields.Date.to_string(day)))
        return tuple(periods)

    def _measured_targets_sql(self):
        """The condition on ``target`` of the targets to measure: those the
        search's period conditions allow (see _search), else all."""
        conditions = [
            SQL("target.%s %s %s::date", SQL.identifier(field), SQL(operator), day)
            for field, operator, day in self.env.context.get("sales_target_report_periods") or ()
            if field in PERIOD_FIELDS and operator in PERIOD_OPERATORS
        ]
        return SQL(" AND ").join(conditions) if conditions else None

    @property
    def _table_query(self):
        Target = self.env["sales.target"]
        today = fields.Date.context_today(self)
        days = SQL("(target.date_to - target.date_from + 1)")
        elapsed = SQL("LEAST(GREATEST(%s - target.date_from, 0), %s)", today, days)
        achieved = SQL("COALESCE(achieved.achieved_amount, 0)")
        expected = SQL("target.amount * %s / %s", elapsed, days)
        # As sales.target._pace_status says it, amounts compared at the currency's precision.
        reached = SQL("ROUND((%s - target.amount)::numeric, currency.decimal_places) >= 0", achieved)
        on_pace = SQL("ROUND((%s - %s)::numeric, currency.decimal_places) >= 0", achieved, expected)
        return SQL(
            """
            WITH achieved AS (%(achieved_sql)s),
                 product_manager AS (%(product_manager_sql)s)
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
         LEFT JOIN achieved ON achieved.target_id = target.id
         LEFT JOIN product_manager ON product_manager.target_id = target.id
            """,
            achieved_sql=Target._achieved_amounts_sql(
                Target._stored_scopes_sql(where=self._measured_targets_sql())
            ),
            product_manager_sql=Target._scope_product_manager_sql(),
            achieved=achieved,
            expected=expected,
            reached=reached,
            on_pace=on_pace,
            today=today,
        )
