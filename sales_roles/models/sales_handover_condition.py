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

    def _evaluation_sql(self, now):
        """How this condition is evaluated for every candidate client at once.

        The rule engine scans the confirmed orders once for all the rules of a
        company, grouping them by client; each condition adds its aggregates to
        that scan and tests them on the client's row.

        :param datetime now: the reference time periods are counted back from
        :return: ``(aggregates, test)``: ``aggregates`` is a list of SQL
            expressions over the orders ``o`` (``client_id``, ``date_order``,
            ``amount`` in the company currency) of one client, each selected as
            ``m.c<condition id>_<index>``; ``test`` is an SQL boolean on the
            client ``c`` (``id``) and its aggregates ``m``, all NULL when it has
            no confirmed order
        """
        self.ensure_one()
        since = now - relativedelta(months=self.period_months) if self.period_months else None
        # Without a period, the same aggregate as the engine's own totals (computed once).
        in_period = SQL(" FILTER (WHERE o.date_order >= %s)", since) if since else SQL()
        digits = (self.currency_id or self.env.company.currency_id).decimal_places
        column = SQL.identifier(f"c{self.id}_0")
        if self.criterion == "order_count":
            return (
                [SQL("COUNT(*)%s", in_period)],
                SQL("COALESCE(m.%s, 0) >= %s", column, self.min_count),
            )
        if self.criterion == "sales_total":
            return (
                [SQL("SUM(o.amount)%s", in_period)],
                SQL("ROUND(m.%s, %s) >= %s", column, digits, self.min_amount),
            )
        if self.criterion == "product_purchased":
            # Few orders sell given products: an index scan of their lines, once.
            return (
                [],
                SQL(
                    """c.id IN (
                        SELECT customer.commercial_partner_id
                          FROM sale_order_line line
                          JOIN sale_order so ON so.id = line.order_id
                          JOIN res_partner customer ON customer.id = so.partner_id
                         WHERE so.state = 'sale'
                           AND so.company_id = %(company)s
                           AND (line.product_id = ANY(%(products)s)
                                OR line.product_id IN (
                                    SELECT product.id
                                      FROM product_product product
                                      JOIN product_template template ON template.id = product.product_tmpl_id
                                     WHERE template.categ_id = ANY(%(categories)s)))
                    )""",
                    company=self.rule_id.company_id.id,
                    products=self.product_ids.ids,
                    categories=self.env["product.category"]
                    .sudo()
                    .search([("id", "child_of", self.product_categ_ids.ids)])
                    .ids,
                ),
            )
        if self.criterion == "min_order_amount":
            count, smallest = SQL.identifier(f"c{self.id}_1"), SQL.identifier(f"c{self.id}_2")
            return (
                [
                    SQL("MIN(o.date_order)"),
                    SQL("COUNT(*)%s", in_period),
                    SQL("MIN(o.amount)%s", in_period),
                ],
                SQL(
                    "m.%s <= %s AND m.%s >= %s AND ROUND(m.%s, %s) >= %s",
                    column,
                    since,
                    count,
                    self.min_count,
                    smallest,
                    digits,
                    self.min_amount,
                ),
            )
        if self.criterion == "inactivity":
            return (
                [SQL("MAX(o.date_order)")],
                SQL(
                    "(m.%s IS NULL OR m.%s < %s)",
                    column,
                    column,
                    now - relativedelta(days=self.inactivity_days),
                ),
            )
        raise ValueError(self.criterion)
