"""The criteria of handover conditions, one declaration each.

A criterion says which fields of ``sales.handover.condition`` it uses (the form
shows only those), how it reads in plain words, what makes its thresholds
valid, how the engine evaluates it for every client at once in SQL, and how it
holds for one client the ORM way (the reference the SQL is tested against and
the benchmark's naive baseline). Adding a criterion is adding a class here.

The engine's SQL (see ``sales.handover.engine._evaluate_query``) scans the
confirmed orders ``o`` of a company once, grouped by client (``o.client_id``,
``o.date_order``, ``o.amount`` in the company currency, see
``sale.order._confirmed_orders_sql``); each condition adds aggregates to that
scan, under aliases of its own, and tests them on the client's row ``m``
(all NULL when the client has no confirmed order) and the client ``c``.
"""

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL, format_amount

# Limits that keep dates and amounts within what PostgreSQL and Python handle.
MAX_COUNT = 1_000_000
MAX_AMOUNT = 10**15
MAX_MONTHS = 1200
MAX_DAYS = 36_500


class Criterion:
    """What every criterion declares; see the module's docstring."""

    key = None
    label = None
    # The condition's fields this criterion reads (period_months is checked for all).
    fields = ()

    def describe(self, condition):
        """The condition in plain words, in the language of ``condition.env``."""
        raise NotImplementedError

    def threshold_error(self, condition):
        """Why the condition's thresholds are unusable, or None."""
        return None

    def evaluation(self, condition, now):
        """``(aggregates, test)``: ``aggregates`` a dict alias -> SQL aggregate over the
        orders ``o`` of one client, ``test`` an SQL boolean on ``c`` and ``m``."""
        raise NotImplementedError

    def holds(self, condition, client, now):
        """Whether the condition holds for ``client``, one ORM query at a time."""
        raise NotImplementedError

    # Shared helpers

    @staticmethod
    def since(condition, now):
        return now - relativedelta(months=condition.period_months) if condition.period_months else None

    @staticmethod
    def alias(condition, name):
        return f"c{condition.id}_{name}"

    @staticmethod
    def amount(condition):
        currency = condition.currency_id or condition.env.company.currency_id
        return format_amount(condition.env, condition.min_amount or 0.0, currency)

    @staticmethod
    def digits(condition):
        return (condition.currency_id or condition.env.company.currency_id).decimal_places

    @staticmethod
    def orders(condition, client, since=None):
        """The client's confirmed orders of the rule's company (ORM way)."""
        domain = [
            ("partner_id", "child_of", client.id),
            ("state", "=", "sale"),
            ("company_id", "=", condition.rule_id.company_id.id),
        ]
        if since:
            domain.append(("date_order", ">=", since))
        return condition.env["sale.order"].search(domain)

    @staticmethod
    def company_amount(order):
        return order.amount_untaxed / (order.currency_rate or 1.0)

    def in_period(self, condition, now):
        since = self.since(condition, now)
        return SQL(" FILTER (WHERE o.date_order >= %s)", since) if since else SQL()


class OrderCount(Criterion):
    key = "order_count"
    label = "Number of Orders"
    fields = ("min_count", "period_months")

    def describe(self, condition):
        if condition.period_months:
            return condition.env._(
                "At least %(count)s confirmed orders in the last %(months)s months",
                count=condition.min_count,
                months=condition.period_months,
            )
        return condition.env._("At least %(count)s confirmed orders", count=condition.min_count)

    def threshold_error(self, condition):
        if not 1 <= condition.min_count <= MAX_COUNT:
            return condition.env._(
                "the minimum number of orders must be between 1 and %(max)s.", max=MAX_COUNT
            )
        return None

    def evaluation(self, condition, now):
        alias = self.alias(condition, "count")
        return (
            {alias: SQL("COUNT(*)%s", self.in_period(condition, now))},
            SQL("COALESCE(m.%s, 0) >= %s", SQL.identifier(alias), condition.min_count),
        )

    def holds(self, condition, client, now):
        return len(self.orders(condition, client, self.since(condition, now))) >= condition.min_count


class SalesTotal(Criterion):
    key = "sales_total"
    label = "Sales Total"
    fields = ("min_amount", "period_months")

    def describe(self, condition):
        if condition.period_months:
            return condition.env._(
                "Sales of at least %(amount)s in the last %(months)s months",
                amount=self.amount(condition),
                months=condition.period_months,
            )
        return condition.env._("Sales of at least %(amount)s", amount=self.amount(condition))

    def threshold_error(self, condition):
        if not 0 < condition.min_amount <= MAX_AMOUNT:
            return condition.env._(
                "the minimum amount must be greater than 0 (and at most %(max)s).", max=MAX_AMOUNT
            )
        return None

    def evaluation(self, condition, now):
        alias = self.alias(condition, "total")
        return (
            {alias: SQL("SUM(o.amount)%s", self.in_period(condition, now))},
            SQL("ROUND(m.%s, %s) >= %s", SQL.identifier(alias), self.digits(condition), condition.min_amount),
        )

    def holds(self, condition, client, now):
        orders = self.orders(condition, client, self.since(condition, now))
        total = sum(self.company_amount(order) for order in orders)
        return round(total, self.digits(condition)) >= condition.min_amount


class ProductPurchased(Criterion):
    key = "product_purchased"
    label = "Product Purchased"
    fields = ("product_ids", "product_categ_ids")

    def describe(self, condition):
        names = (
            condition.product_ids.mapped("display_name") + condition.product_categ_ids.mapped("display_name")
        )[:5]
        return condition.env._("Bought one of: %(products)s", products=", ".join(names) or "-")

    def threshold_error(self, condition):
        if not (condition.product_ids or condition.product_categ_ids):
            return condition.env._("choose at least one product or product category.")
        return None

    def products(self, condition):
        """The products of the condition, those of its categories and sub-categories included."""
        categories = condition.product_categ_ids
        return condition.product_ids.ids, (
            condition.env["product.category"].sudo().search([("id", "child_of", categories.ids)]).ids
            if categories
            else []
        )

    def evaluation(self, condition, now):
        # Few orders sell given products: an index scan of their lines, once.
        products, categories = self.products(condition)
        orders = condition.env["sale.order"]._confirmed_orders_sql(
            company_ids=condition.rule_id.company_id.ids
        )
        return (
            {},
            SQL(
                """c.id IN (
                    SELECT bought.client_id
                      FROM (%(orders)s) bought
                      JOIN sale_order_line line ON line.order_id = bought.order_id
                     WHERE line.product_id = ANY(%(products)s)
                        OR line.product_id IN (
                            SELECT product.id
                              FROM product_product product
                              JOIN product_template template ON template.id = product.product_tmpl_id
                             WHERE template.categ_id = ANY(%(categories)s))
                )""",
                orders=orders,
                products=products,
                categories=categories,
            ),
        )

    def holds(self, condition, client, now):
        products, categories = self.products(condition)
        lines = condition.env["sale.order.line"].search_count(
            [
                ("order_id", "in", self.orders(condition, client).ids),
                "|",
                ("product_id", "in", products),
                ("product_id.categ_id", "in", categories),
            ],
            limit=1,
        )
        return bool(lines)


class MinOrderAmount(Criterion):
    key = "min_order_amount"
    label = "Minimum Order Amount over a Period"
    fields = ("min_count", "min_amount", "period_months")

    def describe(self, condition):
        return condition.env._(
            "Every order of the last %(months)s months (at least %(count)s) is at least %(amount)s",
            months=condition.period_months,
            count=condition.min_count,
            amount=self.amount(condition),
        )

    def threshold_error(self, condition):
        return (
            OrderCount().threshold_error(condition)
            or SalesTotal().threshold_error(condition)
            or (
                None
                if condition.period_months
                else condition.env._(
                    "set the period, in months, over which every order must reach the minimum amount."
                )
            )
        )

    def evaluation(self, condition, now):
        first, count, smallest = (self.alias(condition, name) for name in ("first", "count", "smallest"))
        in_period = self.in_period(condition, now)
        return (
            {
                first: SQL("MIN(o.date_order)"),
                count: SQL("COUNT(*)%s", in_period),
                smallest: SQL("MIN(o.amount)%s", in_period),
            },
            SQL(
                "m.%s <= %s AND m.%s >= %s AND ROUND(m.%s, %s) >= %s",
                SQL.identifier(first),
                self.since(condition, now),
                SQL.identifier(count),
                condition.min_count,
                SQL.identifier(smallest),
                self.digits(condition),
                condition.min_amount,
            ),
        )

    def holds(self, condition, client, now):
        since = self.since(condition, now)
        every = self.orders(condition, client)
        recent = every.filtered(lambda order: order.date_order >= since)
        return (
            bool(every)
            and min(every.mapped("date_order")) <= since
            and len(recent) >= condition.min_count
            and round(min(map(self.company_amount, recent)), self.digits(condition)) >= condition.min_amount
        )


class Inactivity(Criterion):
    key = "inactivity"
    label = "No Order for a Number of Days"
    fields = ("inactivity_days",)

    def describe(self, condition):
        return condition.env._("No confirmed order for %(days)s days", days=condition.inactivity_days)

    def threshold_error(self, condition):
        if not 1 <= condition.inactivity_days <= MAX_DAYS:
            return condition.env._(
                "the number of days without order must be between 1 and %(max)s.", max=MAX_DAYS
            )
        return None

    def evaluation(self, condition, now):
        last = SQL.identifier(self.alias(condition, "last"))
        return (
            {self.alias(condition, "last"): SQL("MAX(o.date_order)")},
            SQL(
                "(m.%s IS NULL OR m.%s < %s)", last, last, now - relativedelta(days=condition.inactivity_days)
            ),
        )

    def holds(self, condition, client, now):
        recent = self.orders(condition, client, now - relativedelta(days=condition.inactivity_days))
        return not recent


# In the order of the condition's selection.
CRITERIA = {
    criterion.key: criterion
    for criterion in (OrderCount(), SalesTotal(), ProductPurchased(), MinOrderAmount(), Inactivity())
}
