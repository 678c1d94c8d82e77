from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import date_utils


class SalesTargetWizard(models.TransientModel):
    """Set Targets: one target per salesperson for a period and a scope, the
    same amount for each or a total split among them."""

    _name = "sales.target.wizard"
    _description = "Set Targets"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    name = fields.Char(help="The targets' name; leave empty to name them after the period and the scope.")
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        help="Choose a team to set a target for each of its members.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Salespeople",
        compute="_compute_user_ids",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: date_utils.get_quarter(fields.Date.context_today(self))[0],
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: date_utils.get_quarter(fields.Date.context_today(self))[1],
    )
    product_ids = fields.Many2many("product.product", string="Products", check_company=True)
    product_categ_ids = fields.Many2many(
        "product.category", string="Product Categories", help="Sub-categories included."
    )
    territory_id = fields.Many2one(
        "sales.territory", check_company=True, help="Territories under it included. Empty for everywhere."
    )
    split = fields.Selection(
        [
            ("each", "The same amount for each"),
            ("equal", "A total split equally"),
            ("history", "A total split by last year's sales"),
        ],
        required=True,
        default="each",
        help="By last year's sales: in proportion to what each salesperson sold in the same "
        "scope over the same period one year earlier.",
    )
    amount = fields.Monetary(
        required=True, currency_field="currency_id", help="Untaxed, in the company currency."
    )
    line_ids = fields.One2many(
        "sales.target.wizard.line",
        "wizard_id",
        string="Targets",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        # As the user: last year's sales are shown to who may set targets on the scope only.
        compute_sudo=False,
    )
    split_note = fields.Char(compute="_compute_split_note")

    @api.depends("team_id")
    def _compute_user_ids(self):
        for wizard in self:
            if wizard.team_id:
                wizard.user_ids = wizard.team_id.member_ids

    @api.depends(
        "user_ids",
        "split",
        "amount",
        "date_from",
        "date_to",
        "product_ids",
        "product_categ_ids",
        "territory_id",
    )
    def _compute_line_ids(self):
        for wizard in self:
            amounts = wizard._split_amounts(wizard.user_ids._origin)
            wizard.line_ids = [Command.clear()] + [
                Command.create(
                    {
                        "user_id": user.id,
                        "last_year_amount": last_year,
                        "amount": amount,
                    }
                )
                for user, (last_year, amount) in amounts.items()
            ]

    @api.depends("split", "line_ids.last_year_amount", "product_ids", "product_categ_ids", "territory_id")
    def _compute_split_note(self):
        for wizard in self:
            wizard.split_note = False
            if wizard.split != "history" or not wizard.line_ids:
                continue
            if not wizard._may_read_history():
                wizard.split_note = _(
                    "Last year's sales are shown for the products and territories you manage only: "
                    "the total is split equally."
                )
            elif not any(wizard.line_ids.mapped("last_year_amount")):
                wizard.split_note = _("Nobody sold in this scope last year: the total is split equally.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_confirm(self):
        """Create the targets, with the rights of the user (see sales.target)."""
        self.ensure_one()
        lines = self.line_ids.filtered("user_id")
        if not lines:
            raise UserError(_("Choose at least one salesperson."))
        targets = self.env["sales.target"].create(
            [
                {
                    "company_id": self.company_id.id,
                    "user_id": line.user_id.id,
                    "date_from": self.date_from,
                    "date_to": self.date_to,
                    "amount": line.amount,
                    "product_ids": [Command.set(self.product_ids.ids)],
                    "product_categ_ids": [Command.set(self.product_categ_ids.ids)],
                    "territory_id": self.territory_id.id,
                    **({"name": self.name} if self.name else {}),
                }
                for line in lines
            ]
        )
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_target_action")
        action.update({"domain": [("id", "in", targets.ids)], "context": {}, "view_mode": "list,kanban,form"})
        action["views"] = [(False, "list"), (False, "kanban"), (False, "form")]
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _split_amounts(self, users):
        """Each salesperson's last-year sales in scope and target amount.

        :return: dict user -> (last year's amount, target amount)
        """
        self.ensure_one()
        if not users:
            return {}
        currency = self.currency_id or self.env.company.currency_id
        last_year = (
            self._last_year_sales(users) if self.split == "history" and self._may_read_history() else {}
        )
        if self.split == "each":
            shares = dict.fromkeys(users, 1.0)
            total = self.amount * len(users)
        else:
            total = self.amount
            shares = {user: last_year.get(user, 0.0) for user in users}
            if not sum(shares.values()):
                shares = dict.fromkeys(users, 1.0)
        amounts = self._round_shares(shares, total, currency) if total else dict.fromkeys(users, 0.0)
        return {user: (last_year.get(user, 0.0), amounts[user]) for user in users}

    @api.model
    def _round_shares(self, shares, total, currency):
        """``total`` split in proportion to ``shares``, rounded to the currency;
        the rounding difference goes to the largest share so that the amounts
        add up to the total exactly."""
        weight = sum(shares.values())
        amounts = {key: currency.round(total * share / weight) for key, share in shares.items()}
        largest = max(shares, key=lambda key: (shares[key], -key.id))
        amounts[largest] = currency.round(
            total - sum(amount for key, amount in amounts.items() if key != largest)
        )
        return amounts

    def _may_read_history(self):
        """Colleagues' sales are shown to who may set targets on the scope only,
        in the companies the user works in (the wizard's company is their input)."""
        self.ensure_one()
        return self.company_id in self.env.companies and self.env["sales.target"]._may_set_scope(
            self.product_ids._origin, self.product_categ_ids._origin, self.territory_id._origin
        )

    def _last_year_sales(self, users):
        """What each salesperson sold in the scope over the same period one year
        earlier, with the targets' own query (one query for all of them).

        :return: dict user -> amount
        """
        self.ensure_one()
        if not (self.date_from and self.date_to):
            return {}
        Target = self.env["sales.target"]
        scope = {
            "company_id": self.company_id.id,
            "date_from": str(self.date_from - relativedelta(years=1)),
            "date_to": str(self.date_to - relativedelta(years=1)),
            "product_ids": self.product_ids._origin.ids,
            "categ_ids": self.product_categ_ids._origin.ids,
            "territory_id": self.territory_id._origin.id or None,
        }
        scopes = [{**scope, "target_id": user.id, "user_id": user.id} for user in users]
        Target._flush_achievement_data()
        rows = self.env.execute_query(Target._achieved_amounts_sql(Target._scopes_sql(scopes)))
        return {users.browse(user_id): amount for user_id, amount in rows}


class SalesTargetWizardLine(models.TransientModel):
    _name = "sales.target.wizard.line"
    _description = "Set Targets: One Salesperson"

    wizard_id = fields.Many2one("sales.target.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    user_id = fields.Many2one("res.users", string="Salesperson", required=True)
    last_year_amount = fields.Monetary(
        string="Last Year",
        currency_field="currency_id",
        help="Sales in the scope over the same period a year earlier.",
    )
    amount = fields.Monetary(string="Target", currency_field="currency_id")
