from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_amount

CRITERIA = [
    ("order_count", "Number of Orders"),
    ("sales_total", "Sales Total"),
    ("product_purchased", "Product Purchased"),
    ("min_order_amount", "Minimum Order Amount over a Period"),
    ("inactivity", "No Order for a Number of Days"),
]

# Limits that keep dates and amounts within what PostgreSQL and Python handle.
MAX_COUNT = 1_000_000
MAX_AMOUNT = 10**15
MAX_MONTHS = 1200
MAX_DAYS = 36_500


class SalesHandoverCondition(models.Model):
    _name = "sales.handover.condition"
    _description = "Handover Rule Condition"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one("sales.handover.rule", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    criterion = fields.Selection(CRITERIA, required=True, default="order_count")
    min_count = fields.Integer(
        string="Minimum Orders",
        default=1,
        help="Number of confirmed orders the client must have (for the minimum order "
        "amount: within the period).",
    )
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="currency_id",
        help="Untaxed amount, in the company currency.",
    )
    currency_id = fields.Many2one(related="rule_id.company_id.currency_id", string="Currency")
    period_months = fields.Integer(
        string="Period (Months)",
        help="Only count the orders of the last months; 0 counts every order. The "
        "minimum order amount criterion needs a period.",
    )
    product_ids = fields.Many2many("product.product", string="Products")
    product_categ_ids = fields.Many2many(
        "product.category", string="Product Categories", help="Sub-categories are included."
    )
    inactivity_days = fields.Integer(string="Days without Order")
    description = fields.Char(compute="_compute_description", string="Condition")

    @api.depends(
        "criterion",
        "min_count",
        "min_amount",
        "period_months",
        "product_ids",
        "product_categ_ids",
        "inactivity_days",
    )
    def _compute_description(self):
        for condition in self:
            condition.description = condition._describe()

    def _describe(self):
        self.ensure_one()
        amount = format_amount(
            self.env, self.min_amount or 0.0, self.currency_id or self.env.company.currency_id
        )
        months = self.period_months
        if self.criterion == "order_count":
            if months:
                return _(
                    "At least %(count)s confirmed orders in the last %(months)s months",
                    count=self.min_count,
                    months=months,
                )
            return _("At least %(count)s confirmed orders", count=self.min_count)
        if self.criterion == "sales_total":
            if months:
                return _(
                    "Sales of at least %(amount)s in the last %(months)s months", amount=amount, months=months
                )
            return _("Sales of at least %(amount)s", amount=amount)
        if self.criterion == "product_purchased":
            names = (self.product_ids.mapped("display_name") + self.product_categ_ids.mapped("display_name"))[
                :5
            ]
            return _("Bought one of: %(products)s", products=", ".join(names) or "-")
        if self.criterion == "min_order_amount":
            return _(
                "Every order of the last %(months)s months (at least %(count)s) is at least %(amount)s",
                months=months,
                count=self.min_count,
                amount=amount,
            )
        if self.criterion == "inactivity":
            return _("No confirmed order for %(days)s days", days=self.inactivity_days)
        return ""

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains(
        "criterion",
        "min_count",
        "min_amount",
        "period_months",
        "product_ids",
        "product_categ_ids",
        "inactivity_days",
    )
    def _check_thresholds(self):
        for condition in self:
            error = condition._threshold_error()
            if error:
                raise ValidationError(
                    _(
                        "Rule “%(rule)s”, condition “%(criterion)s”: %(error)s",
                        rule=condition.rule_id.display_name,
                        criterion=dict(condition._fields["criterion"]._description_selection(self.env))[
                            condition.criterion
                        ],
                        error=error,
                    )
                )

    def _threshold_error(self):
        self.ensure_one()
        criterion = self.criterion
        if not 0 <= self.period_months <= MAX_MONTHS:
            return _("the period must be between 0 and %(max)s months.", max=MAX_MONTHS)
        if criterion in ("order_count", "min_order_amount") and not 1 <= self.min_count <= MAX_COUNT:
            return _("the minimum number of orders must be between 1 and %(max)s.", max=MAX_COUNT)
        if criterion in ("sales_total", "min_order_amount") and not 0 < self.min_amount <= MAX_AMOUNT:
            return _("the minimum amount must be greater than 0 (and at most %(max)s).", max=MAX_AMOUNT)
        if criterion == "min_order_amount" and not self.period_months:
            return _("set the period, in months, over which every order must reach the minimum amount.")
        if criterion == "product_purchased" and not (self.product_ids or self.product_categ_ids):
            return _("choose at least one product or product category.")
        if criterion == "inactivity" and not 1 <= self.inactivity_days <= MAX_DAYS:
            return _("the number of days without order must be between 1 and %(max)s.", max=MAX_DAYS)
        return None

    # ------------------------------------------------------------
    # EVALUATION
    # ------------------------------------------------------------

    def _matching_clients_sql(self, orders, candidates, now):
        """SQL selecting the ``client_id`` of the candidates that meet this condition.

        :param SQL orders: a relation (client_id, order_id, date_order, amount) of
            the confirmed orders of the rule's company, per commercial partner,
            restricted to the candidates; amounts in the company currency
        :param SQL candidates: a relation (id) of the candidate clients
        :param datetime now: the reference time periods are counted back from
        """
        self.ensure_one()
        since = now - relativedelta(months=self.period_months) if self.period_months else None
        digits = (self.currency_id or self.env.company.currency_id).decimal_places
        if self.criterion == "order_count":
            return SQL(
                "SELECT client_id FROM %s o WHERE %s GROUP BY client_id HAVING COUNT(*) >= %s",
                orders,
                SQL("o.date_order >= %s", since) if since else SQL("TRUE"),
                self.min_count,
            )
        if self.criterion == "sales_total":
            return SQL(
                """
                SELECT client_id FROM %s o WHERE %s
              GROUP BY client_id HAVING ROUND(SUM(o.amount), %s) >= %s
                """,
                orders,
                SQL("o.date_order >= %s", since) if since else SQL("TRUE"),
                digits,
                self.min_amount,
            )
        if self.criterion == "product_purchased":
            categories = (
                self.env["product.category"].sudo().search([("id", "child_of", self.product_categ_ids.ids)])
            )
            return SQL(
                """
                SELECT DISTINCT o.client_id
                  FROM %(orders)s o
                  JOIN sale_order_line line ON line.order_id = o.order_id
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template template ON template.id = product.product_tmpl_id
                 WHERE line.product_id = ANY(%(products)s) OR template.categ_id = ANY(%(categories)s)
                """,
                orders=orders,
                products=self.product_ids.ids,
                categories=categories.ids,
            )
        if self.criterion == "min_order_amount":
            return SQL(
                """
                SELECT client_id
                  FROM %(orders)s o
              GROUP BY client_id
                HAVING MIN(o.date_order) <= %(since)s
                   AND COUNT(*) FILTER (WHERE o.date_order >= %(since)s) >= %(count)s
                   AND ROUND(MIN(o.amount) FILTER (WHERE o.date_order >= %(since)s), %(digits)s) >= %(amount)s
                """,
                orders=orders,
                since=since,
                count=self.min_count,
                digits=digits,
                amount=self.min_amount,
            )
        if self.criterion == "inactivity":
            return SQL(
                """
                SELECT c.id AS client_id
                  FROM %(candidates)s c
                 WHERE NOT EXISTS (
                        SELECT 1 FROM %(orders)s o WHERE o.client_id = c.id AND o.date_order >= %(since)s
                 )
                """,
                candidates=candidates,
                orders=orders,
                since=now - relativedelta(days=self.inactivity_days),
            )
        raise ValueError(self.criterion)
