from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .handover_criteria import CRITERIA, MAX_MONTHS

# What a condition is made of: its description and its checks depend on them.
CONDITION_FIELDS = (
    "criterion",
    "min_count",
    "min_amount",
    "period_months",
    "product_ids",
    "product_categ_ids",
    "inactivity_days",
)


class SalesHandoverCondition(models.Model):
    """One condition of a handover rule; its criterion (see handover_criteria.py)
    says which fields it uses, how it reads and how it is evaluated."""

    _name = "sales.handover.condition"
    _description = "Handover Rule Condition"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one("sales.handover.rule", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    criterion = fields.Selection(
        [(criterion.key, criterion.label) for criterion in CRITERIA.values()],
        required=True,
        default="order_count",
    )
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
    # The fields the criterion uses, for the form to show only those.
    criterion_fields = fields.Char(compute="_compute_criterion_fields")

    @api.depends(*CONDITION_FIELDS)
    def _compute_description(self):
        for condition in self:
            condition.description = condition._criterion().describe(condition) if condition.criterion else ""

    @api.depends("criterion")
    def _compute_criterion_fields(self):
        for condition in self:
            condition.criterion_fields = (
                ",".join(condition._criterion().fields) if condition.criterion else ""
            )

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains(*CONDITION_FIELDS)
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
        if not 0 <= self.period_months <= MAX_MONTHS:
            return _("the period must be between 0 and %(max)s months.", max=MAX_MONTHS)
        return self._criterion().threshold_error(self)

    # ------------------------------------------------------------
    # EVALUATION
    # ------------------------------------------------------------

    def _criterion(self):
        self.ensure_one()
        return CRITERIA[self.criterion]

    def _evaluation_sql(self, now):
        """How this condition is evaluated for every candidate client at once.

        :param datetime now: the reference time periods are counted back from
        :return: ``(aggregates, test)``: ``aggregates`` a dict alias -> SQL aggregate
            over the confirmed orders ``o`` of one client, ``test`` an SQL boolean
            on the client ``c`` and its aggregates ``m`` (see handover_criteria.py)
        """
        return self._criterion().evaluation(self, now)

    def _holds_for(self, client, now):
        """Whether this condition holds for ``client``, the ORM way (one client at a
        time: the reference the engine's SQL is checked against)."""
        return self._criterion().holds(self, client, now)
