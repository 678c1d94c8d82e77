import json
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, date_utils, format_date

# What decides who may manage a target (see _check_scope_rights).
SCOPE_FIELDS = {"company_id", "product_ids", "product_categ_ids", "territory_id"}

PACE_STATUSES = [
    ("upcoming", "Upcoming"),
    ("on_pace", "On Pace"),
    ("behind", "Behind Pace"),
    ("reached", "Reached"),
    ("missed", "Missed"),
]

# Kanban highlight colours (see web's ColorList): red when behind, green when reached.
PACE_COLORS = {"behind": 1, "missed": 1, "reached": 10}

# Kept on the target (one compute): what it achieved, measured on the confirmed
# orders when the target or the sales in its scope change (see
# _mark_achievement_changed), and set right each night for current targets.
ACHIEVED_FIELDS = ("achieved_amount", "progress", "gap_amount")
# Targets that ended this many days ago or less are set right each night.
ACHIEVED_REFRESH_DAYS = 31

# The scope of one target, as _achieved_amounts_sql reads it.
SCOPE_COLUMNS = SQL(
    "target_id int, company_id int, user_id int, date_from date, date_to date, "
    "product_ids int[], categ_ids int[], territory_id int"
)


class SalesTarget(models.Model):
    """A salesperson's sales goal for a period, a product line and a territory.

    Set by Sales Administrators, or by the product, territory and regional
    managers within what they manage: the second reporting line of the matrix
    steers, not only reads.
    """

    _name = "sales.target"
    _inherit = ["mail.thread", "sales.protected.mixin"]
    _description = "Sales Target"
    _order = "date_from desc, user_id, id desc"
    _check_company_auto = True

    # Who set a target is an administrator's to change: others set their own.
    _sales_protected_fields = ("manager_id",)

    name = fields.Char(
        required=True,
        tracking=True,
        help="Leave empty to name the target after its scope and period.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        index=True,
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Whose confirmed orders count towards the target.",
    )
    manager_id = fields.Many2one(
        "res.users",
        string="Set By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
        help="Who set the target: the Sales Administrator, product, territory or regional manager.",
    )
    date_from = fields.Date(
        string="From",
        required=True,
        tracking=True,
        default=lambda self: date_utils.get_quarter(fields.Date.context_today(self))[0],
        help="First day of the period, in the salesperson's time zone.",
    )
    date_to = fields.Date(
        string="To",
        required=True,
        tracking=True,
        default=lambda self: date_utils.get_quarter(fields.Date.context_today(self))[1],
        help="Last day of the period, included.",
    )
    amount = fields.Monetary(
        string="Target",
        required=True,
        tracking=True,
        currency_field="currency_id",
        help="Untaxed sales to reach over the period, in the company currency.",
    )
    product_ids = fields.Many2many(
        "product.product",
        "sales_target_product_rel",
        "target_id",
        "product_id",
        string="Products",
        check_company=True,
        help="Only the sales of these products (and of the categories below) count. "
        "Leave both empty to count every product.",
    )
    product_categ_ids = fields.Many2many(
        "product.category",
        "sales_target_product_category_rel",
        "target_id",
        "category_id",
        string="Product Categories",
        help="Only the sales of the products of these categories, sub-categories included, "
        "(and of the products above) count.",
    )
    territory_id = fields.Many2one(
        "sales.territory",
        index="btree_not_null",
        check_company=True,
        help="Only the orders credited to this territory or region, territories under it "
        "included, count. Leave empty to count every territory.",
    )
    achieved_amount = fields.Monetary(
        string="Achieved",
        compute="_compute_achieved_amount",
        store=True,
        copy=False,
        currency_field="currency_id",
        help="Untaxed subtotal, in the company currency, of the salesperson's confirmed order "
        "lines in scope whose order is dated within the period.",
    )
    progress = fields.Float(
        string="Progress (%)",
        compute="_compute_achieved_amount",
        store=True,
        copy=False,
        help="Achieved / target × 100.",
    )
    expected_amount = fields.Monetary(
        string="Expected by Today",
        compute="_compute_pace",
        currency_field="currency_id",
        help="Where a straight line from zero on the first day to the target on the last "
        "stands at the start of today.",
    )
    gap_amount = fields.Monetary(
        string="Remaining",
        compute="_compute_achieved_amount",
        store=True,
        copy=False,
        currency_field="currency_id",
        help="What is still to sell to reach the target.",
    )
    pace_status = fields.Selection(
        PACE_STATUSES,
        string="Pace",
        compute="_compute_pace",
        search="_search_pace_status",
        help="Behind pace: achieved less than expected by today. Reached: the target is met. "
        "Missed: the period is over and the target was not met.",
    )
    pace_color = fields.Integer(compute="_compute_pace", help="Highlights the target in kanban views.")
    product_manager_id = fields.Many2one(
        "res.users",
        compute="_compute_scope_managers",
        help="The product manager of the whole product scope, when one person manages every "
        "product and category of it.",
    )
    scope_manager_ids = fields.Many2many(
        "res.users",
        compute="_compute_scope_managers",
        search="_search_scope_manager_ids",
        string="Managed By",
        help="Besides Sales Administrators, who may change this target: the product manager "
        "of its whole product scope and the managers of its territory and of the regions above.",
    )
    task_ids = fields.One2many("sales.target.task", "target_id", string="Tasks")
    task_open_count = fields.Integer(compute="_compute_task_counts", string="Open Tasks")
    task_done_count = fields.Integer(compute="_compute_task_counts", string="Done Tasks")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "company_id",
        "user_id",
        "date_from",
        "date_to",
        "amount",
        "product_ids",
        "product_categ_ids",
        "territory_id",
    )
    def _compute_achieved_amount(self):
        achieved = self._achieved_amounts()
        # One read of the targets: rounding a monetary value would read their company alone.
        self.mapped("amount")
        for target in self:
            target.achieved_amount = achieved.get(target, 0.0)
            target.progress = target.achieved_amount / target.amount * 100 if target.amount > 0 else 0.0
            target.gap_amount = max(target.amount - target.achieved_amount, 0.0)

    @api.depends("achieved_amount", "date_from", "date_to", "amount", "currency_id")
    def _compute_pace(self):
        today = fields.Date.context_today(self)
        for target in self:
            target.expected_amount = target._expected_amount(today)
            target.pace_status = target._pace_status(today)
            target.pace_color = PACE_COLORS.get(target.pace_status, 0)

    def _search_pace_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Pace can only be searched as one of its values."))
        values = {value} if isinstance(value, str) else set(value or ())
        # Pace is measured, not stored: measure the targets the user may read, in one query.
        targets = self.search([])
        matching = targets.filtered(lambda target: target.pace_status in values)
        return [("id", "in" if operator in ("=", "in") else "not in", matching.ids)]

    # The product managers of products and categories invalidate it when they change.
    @api.depends("product_ids", "product_categ_ids", "territory_id.all_manager_ids")
    def _compute_scope_managers(self):
        # The product side as saved (SQL): a form shows the new scope's once saved.
        saved = self._origin
        self._flush_scope()
        product_managers = dict(
            self.env.execute_query(self._scope_product_manager_sql(saved.ids)) if saved else []
        )
        Users = self.env["res.users"]
        for target in self:
            product_manager = Users.browse(product_managers.get(target._origin.id))
            target.product_manager_id = product_manager
            target.scope_manager_ids = product_manager | target.territory_id.all_manager_ids

    def _search_scope_manager_ids(self, operator, value):
        if operator not in ("in", "="):
            raise UserError(_("Only the targets managed by given users can be searched."))
        user_ids = [value] if isinstance(value, int) else list(value)
        self._flush_scope()
        return [
            "|",
            ("territory_id.all_manager_ids", "in", user_ids),
            (
                "id",
                "in",
                SQL(
                    "(SELECT pm.target_id FROM (%s) pm WHERE pm.product_manager_id = ANY(%s))",
                    self._scope_product_manager_sql(),
                    user_ids,
                ),
            ),
        ]

    def _compute_task_counts(self):
        # The counts of targets the user reads, whoever may read the tasks themselves.
        groups = (
            self.env["sales.target.task"]
            .sudo()
            ._read_group([("target_id", "in", self._origin.ids)], ["target_id", "state"], ["__count"])
        )
        counts = {(target.id, state): count for target, state, count in groups}
        for target in self:
            target.task_open_count = counts.get((target._origin.id, "open"), 0)
            target.task_done_count = counts.get((target._origin.id, "done"), 0)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("amount")
    def _check_amount(self):
        for target in self:
            if target.amount <= 0:
                raise ValidationError(
                    _("Target “%(target)s”: the amount must be greater than zero.", target=target.name)
                )

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for target in self:
            if target.date_from > target.date_to:
                raise ValidationError(
                    _(
                        "Target “%(target)s”: the period must end on or after the day it starts.",
                        target=target.name,
                    )
                )

    @api.constrains("user_id", "company_id")
    def _check_salesperson(self):
        for target in self:
            user = target.user_id
            if user.share or target.company_id not in user.company_ids:
                raise ValidationError(
                    _(
                        "Target “%(target)s”: %(user)s is not an internal user of %(company)s.",
                        target=target.name,
                        user=user.name,
                        company=target.company_id.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _prepare_create_values(self, vals_list):
        vals_list = super()._prepare_create_values(vals_list)
        self._sales_check_protected_create(vals_list)
        self._check_achievement_not_set(vals_list)
        for vals in vals_list:
            if not vals.get("name"):
                vals["name"] = self.new(vals)._proposed_name()
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        targets = super().create(vals_list)
        targets._check_scope_rights()
        return targets

    def write(self, vals):
        self._sales_check_protected_write(vals)
        self._check_achievement_not_set([vals])
        result = super().write(vals)
        if "name" in vals and not vals["name"]:
            for target in self:
                target.name = target._proposed_name()
        if SCOPE_FIELDS & vals.keys():
            # Record rules checked the target as it was; check it as it is now.
            self._check_scope_rights()
        return result

    @api.model
    def _check_achievement_not_set(self, vals_list):
        """What a target achieved is measured on the orders, never typed: refuse
        it from anyone but the system, on every path (forms, RPC, context
        defaults, import)."""
        if self.env.su:
            return
        given = {name for vals in vals_list for name in vals.keys() & set(ACHIEVED_FIELDS)}
        if given:
            raise UserError(
                _(
                    "%(fields)s of a target are measured on the confirmed orders: nobody sets them. "
                    "Change the target's amount, period or scope instead.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in given)
                    ),
                )
            )

    @api.model
    def _sales_create_allowed_values(self, vals):
        allowed = super()._sales_create_allowed_values(vals)
        # Everybody may sign the targets they set.
        allowed["manager_id"].add(self._sales_normalize("manager_id", self.env.uid))
        return allowed

    def _check_scope_rights(self):
        """Refuse targets outside what the user manages, unless a Sales
        Administrator or the system sets them.

        The same predicate as the record rule "Sales targets: those I manage"
        (``scope_manager_ids``), measured on the new values.
        """
        if not self or self._sales_may_edit_protected():
            return
        # sudo: the record rules would also let the user's own targets through.
        allowed = self.sudo().search([("id", "in", self.ids), ("scope_manager_ids", "in", [self.env.uid])])
        refused = self - allowed.with_env(self.env)
        if refused:
            raise AccessError(
                _(
                    "You may only set targets whose products you manage as their product manager, "
                    "or whose territory you manage as its territory or regional manager: %(targets)s. "
                    "A Sales Administrator sets the others.",
                    targets=", ".join(refused.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_achieved_lines(self):
        """The Sales Matrix lines that make up the achieved amount."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sale_report_action_matrix")
        action.update(
            {
                "name": _("Achieved: %(target)s", target=self.name),
                "domain": self._achieved_lines_domain(),
                "context": {"group_by": ["product_id"]},
                "view_mode": "list,pivot,graph",
                "views": [
                    (self.env.ref("sale.sale_report_view_tree").id, "list"),
                    (self.env.ref("sales_roles.sale_report_view_pivot_matrix").id, "pivot"),
                    (self.env.ref("sales_roles.sale_report_view_graph_matrix").id, "graph"),
                ],
            }
        )
        return action

    def action_view_tasks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_target_task_action")
        action["domain"] = [("target_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    def action_schedule_tasks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_target_task_wizard_action")
        action["context"] = {"default_target_id": self.id}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _mark_achievement_changed(self, targets):
        """Measure again what these targets achieved: before the transaction
        ends (the next flush), or at once when read."""
        for name in ACHIEVED_FIELDS:
            self.env.add_to_compute(self._fields[name], targets)

    @api.model
    def _mark_orders_achievement_changed(self, orders):
        """The targets the sales of these orders count for, as the orders stand
        now, measured again: those of their salespeople and companies whose
        period holds an order's day (a day's margin each side for the
        salespeople's time zones). As the system: the user who confirms an order
        may not read its targets."""
        orders = orders.filtered("user_id")
        if not orders:
            return
        days = [order.date_order.date() for order in orders]
        targets = self.sudo().search(
            [
                ("user_id", "in", orders.user_id.ids),
                ("company_id", "in", orders.company_id.ids),
                ("date_from", "<=", max(days) + timedelta(days=1)),
                ("date_to", ">=", min(days) - timedelta(days=1)),
            ]
        )
        self._mark_achievement_changed(targets)

    @api.model
    def _mark_scopes_achievement_changed(self, field_name, nodes):
        """The tree under the targets' scopes changed below ``nodes`` (a product
        moved out of one category into another, a category or territory from one
        parent to another: both given): the targets whose ``field_name`` holds
        one of them or a node above them measured again, the others count the
        same."""
        self._mark_achievement_changed(self.sudo().search([(field_name, "parent_of", nodes.ids)]))

    @api.model
    def _refresh_achieved_amounts(self):
        """Nightly: measure again what every current target (or one ended in the
        last month) achieved, whatever changed it. One query for all of them."""
        since = fields.Date.context_today(self) - timedelta(days=ACHIEVED_REFRESH_DAYS)
        targets = self.sudo().search([("date_to", ">=", since)])
        self._mark_achievement_changed(targets)
        targets.flush_recordset(list(ACHIEVED_FIELDS))

    def _achieved_amounts(self):
        """The achieved amount of each target, saved or not, in one query.

        Saved targets are measured on their scope as stored (the same SQL as the
        report, no ORM read of their scope); targets being edited in a form, on
        their scope as it is in the cache.

        :return: dict target -> amount in the company currency
        """
        saved = self.filtered("id")
        new = [t for t in self - saved if t.company_id and t.user_id and t.date_from and t.date_to]
        self._flush_achievement_data()
        achieved = {}
        if saved:
            rows = self.env.execute_query(self._achieved_amounts_sql(self._stored_scopes_sql(saved.ids)))
            achieved.update((saved.browse(target_id), amount) for target_id, amount in rows)
        if new:
            scopes = [
                {
                    "target_id": index,
                    "company_id": target.company_id.id,
                    "user_id": target.user_id.id,
                    "date_from": str(target.date_from),
                    "date_to": str(target.date_to),
                    "product_ids": target.product_ids._origin.ids,
                    "categ_ids": target.product_categ_ids._origin.ids,
                    "territory_id": target.territory_id._origin.id or None,
                }
                for index, target in enumerate(new)
            ]
            rows = self.env.execute_query(self._achieved_amounts_sql(self._scopes_sql(scopes)))
            achieved.update((new[index], amount) for index, amount in rows)
        return achieved

    @api.model
    def _achieved_amounts_sql(self, scopes):
        """SQL of ``(target_id, achieved_amount)``: for each scope, the untaxed
        subtotal in the company currency of the confirmed order lines (see
        ``sale.order.line._confirmed_lines_sql``) of the scope's salesperson and
        company, whose order is dated within the period, whose product is in the
        product scope (categories with their children) and whose order is
        credited to the territory scope (with its children). One grouped query
        for any number of scopes; scopes with nothing achieved have no row.

        The period is counted in whole days of the salesperson's time zone (UTC
        without one): an order confirmed at 00:30 on 1 April in Moscow counts
        in April for a salesperson working in Moscow.

        :param SQL scopes: rows of ``SCOPE_COLUMNS``: ``target_id``, ``company_id``,
            ``user_id``, ``date_from``, ``date_to`` (included), ``product_ids``
            and ``categ_ids`` (arrays, both empty for every product),
            ``territory_id`` (NULL for everywhere)
        """
        # Only the lines that can count: of the scopes' companies and salespeople,
        # in a UTC window a day wider than the periods on each side (any time zone).
        confirmed = self.env["sale.order.line"]._confirmed_lines_sql(
            company_ids=SQL("ARRAY(SELECT company_id FROM bounds)"),
            user_ids=SQL("ARRAY(SELECT user_id FROM bounds)"),
            date_from=SQL("(SELECT MIN(date_from) - 1 FROM bounds)"),
            date_to=SQL("(SELECT MAX(date_to) + 2 FROM bounds)"),
        )
        # Joining every line to every target of its salesperson costs lines ×
        # targets; instead, targets on every product read daily totals, and
        # targets on some products join the lines on the product (their scope
        # expanded to products), so each line meets only the targets it counts for.
        return SQL(
            """
            WITH scope AS (%(scopes)s),
            bounds AS MATERIALIZED (
                SELECT scope.target_id,
                       scope.company_id,
                       scope.user_id,
                       scope.date_from,
                       scope.date_to,
                       cardinality(scope.product_ids) + cardinality(scope.categ_ids) > 0 AS by_product,
                       CASE WHEN scope.territory_id IS NOT NULL THEN ARRAY(
                           SELECT territory.id
                             FROM sales_territory territory
                            WHERE string_to_array(rtrim(territory.parent_path, '/'), '/')::int[]
                                  @> ARRAY[scope.territory_id]
                       ) END AS territory_ids
                  FROM scope
            ),
            scope_product AS MATERIALIZED (
                SELECT bounds.*, products.product_id
                  FROM bounds
                  JOIN (
                        SELECT scope.target_id, product.id AS product_id
                          FROM scope
                          JOIN product_product product ON product.id = ANY(scope.product_ids)
                         UNION
                        SELECT scope.target_id, product.id
                          FROM scope
                          JOIN product_category category
                            ON string_to_array(rtrim(category.parent_path, '/'), '/')::int[] && scope.categ_ids
                          JOIN product_template template ON template.categ_id = category.id
                          JOIN product_product product ON product.product_tmpl_id = template.id
                       ) products ON products.target_id = bounds.target_id
            ),
            lines AS MATERIALIZED (
                SELECT confirmed.company_id,
                       confirmed.user_id,
                       confirmed.product_id,
                       confirmed.territory_id,
                       confirmed.amount,
                       -- the day of the order in the salesperson's time zone
                       timezone(COALESCE(NULLIF(salesperson.tz, ''), 'UTC'),
                                timezone('UTC', confirmed.date_order))::date AS day
                  FROM (%(confirmed)s) confirmed
                  JOIN res_users users ON users.id = confirmed.user_id
                  JOIN res_partner salesperson ON salesperson.id = users.partner_id
            ),
            daily AS (
                SELECT company_id, user_id, day, territory_id, SUM(amount) AS amount
                  FROM lines
              GROUP BY company_id, user_id, day, territory_id
            )
            SELECT target_id, SUM(amount) AS achieved_amount
              FROM (
                    SELECT bounds.target_id, SUM(daily.amount) AS amount
                      FROM bounds
                      JOIN daily
                        ON daily.company_id = bounds.company_id
                       AND daily.user_id = bounds.user_id
                       AND daily.day BETWEEN bounds.date_from AND bounds.date_to
                     WHERE NOT bounds.by_product
                       AND (bounds.territory_ids IS NULL OR daily.territory_id = ANY(bounds.territory_ids))
                  GROUP BY bounds.target_id
                 UNION ALL
                    SELECT scope_product.target_id, SUM(lines.amount)
                      FROM scope_product
                      JOIN lines
                        ON lines.company_id = scope_product.company_id
                       AND lines.user_id = scope_product.user_id
                       AND lines.product_id = scope_product.product_id
                       AND lines.day BETWEEN scope_product.date_from AND scope_product.date_to
                     WHERE scope_product.territory_ids IS NULL
                        OR lines.territory_id = ANY(scope_product.territory_ids)
                  GROUP BY scope_product.target_id
                   ) achieved
          GROUP BY target_id
            """,
            scopes=scopes,
            confirmed=confirmed,
        )

    @api.model
    def _scopes_sql(self, scopes):
        """Scopes given as values (dicts of ``SCOPE_COLUMNS``), as ``_achieved_amounts_sql`` reads them."""
        return SQL(
            "SELECT * FROM jsonb_to_recordset(%s::jsonb) AS scope(%s)", json.dumps(scopes), SCOPE_COLUMNS
        )

    @api.model
    def _stored_scopes_sql(self, target_ids=None, where=None):
        """The scopes of the targets in the database, as ``_achieved_amounts_sql`` reads them.

        :param list target_ids: only these targets (all by default)
        :param SQL where: only the targets meeting this condition on ``target``
            (the ``sales_target`` row)
        """
        rel_filter = target_filter = SQL("TRUE")
        if target_ids is not None:
            rel_filter = SQL("target_id = ANY(%s)", target_ids)
            target_filter = SQL("target.id = ANY(%s)", target_ids)
        if where is not None:
            target_filter = SQL("%s AND %s", target_filter, where)
        return SQL(
            """
            SELECT target.id AS target_id,
                   target.company_id,
                   target.user_id,
                   target.date_from,
                   target.date_to,
                   COALESCE(products.ids, '{}') AS product_ids,
                   COALESCE(categories.ids, '{}') AS categ_ids,
                   target.territory_id
              FROM sales_target target
         LEFT JOIN (SELECT target_id, array_agg(product_id) AS ids FROM sales_target_product_rel
                     WHERE %(rel_filter)s GROUP BY target_id) products ON products.target_id = target.id
         LEFT JOIN (SELECT target_id, array_agg(category_id) AS ids FROM sales_target_product_category_rel
                     WHERE %(rel_filter)s GROUP BY target_id) categories ON categories.target_id = target.id
             WHERE %(target_filter)s
            """,
            rel_filter=rel_filter,
            target_filter=target_filter,
        )

    @api.model
    def _scope_product_manager_sql(self, target_ids=None):
        """SQL of ``(target_id, product_manager_id)``: the targets whose every
        product and category of the product scope has the same effective
        product manager (``product.template._get_product_managers``), and that
        manager. Targets without a product scope have no row.

        :param list target_ids: only these targets (all by default)
        """
        only = SQL("rel.target_id = ANY(%s)", target_ids) if target_ids is not None else SQL("TRUE")
        Category = self.env["product.category"]
        return SQL(
            """
            SELECT items.target_id, MIN(items.manager_id) AS product_manager_id
              FROM (
                    SELECT rel.target_id,
                           COALESCE(template.product_manager_id, %(template_category_manager)s) AS manager_id
                      FROM sales_target_product_rel rel
                      JOIN product_product product ON product.id = rel.product_id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE %(only)s
                 UNION ALL
                    SELECT rel.target_id, %(category_manager)s
                      FROM sales_target_product_category_rel rel
                     WHERE %(only)s
                   ) items
          GROUP BY items.target_id
            HAVING COUNT(items.manager_id) = COUNT(*) AND MIN(items.manager_id) = MAX(items.manager_id)
            """,
            template_category_manager=Category._product_manager_sql(SQL("template.categ_id")),
            category_manager=Category._product_manager_sql(SQL("rel.category_id")),
            only=only,
        )

    @api.model
    def _may_set_scope(self, products, categories, territory):
        """Whether the current user may set targets on this scope: the Python
        twin of ``scope_manager_ids``, for scopes not saved yet (Set Targets)."""
        if self._sales_may_edit_protected():
            return True
        if territory and self.env.user in territory.all_manager_ids:
            return True
        managers = set(products.product_tmpl_id._get_product_managers().values())
        managers |= set(categories._get_product_managers().values())
        return managers == {self.env.user}

    def _flush_scope(self):
        for model, fnames in (
            ("sales.target", ["product_ids", "product_categ_ids", "territory_id"]),
            ("product.product", ["product_tmpl_id"]),
            ("product.template", ["categ_id", "product_manager_id"]),
            ("product.category", ["parent_path", "product_manager_id"]),
            ("sales.territory", ["all_manager_ids"]),
        ):
            self.env[model].flush_model(fnames)

    def _flush_achievement_data(self):
        for model in ("sales.target", "sale.order", "sale.order.line", "res.partner", "res.users"):
            self.env[model].flush_model()
        self._flush_scope()
        self.env["sales.territory"].flush_model(["parent_path"])

    def _expected_amount(self, today):
        """Where the straight line from 0 (first day) to the amount (after the last day) stands today."""
        self.ensure_one()
        if not (self.date_from and self.date_to) or self.date_to < self.date_from:
            return 0.0
        days = (self.date_to - self.date_from).days + 1
        elapsed = min(max((today - self.date_from).days, 0), days)
        return self.amount * elapsed / days

    def _pace_status(self, today):
        self.ensure_one()
        if not (self.date_from and self.date_to and self.amount > 0):
            return False
        currency = self.currency_id or self.env.company.currency_id
        if currency.compare_amounts(self.achieved_amount, self.amount) >= 0:
            return "reached"
        if today < self.date_from:
            return "upcoming"
        if today > self.date_to:
            return "missed"
        if currency.compare_amounts(self.achieved_amount, self.expected_amount) >= 0:
            return "on_pace"
        return "behind"

    def _period_bounds(self):
        """The period as UTC datetimes [start, stop), in the salesperson's time zone (see _achieved_amounts_sql)."""
        self.ensure_one()
        zone = pytz.timezone(self.user_id.tz or "UTC")

        def utc(day):
            return zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        return utc(self.date_from), utc(self.date_to + timedelta(days=1))

    def _achieved_lines_domain(self):
        """A domain on sale.report for the lines that count (see _achieved_amounts_sql)."""
        self.ensure_one()
        start, stop = self._period_bounds()
        domain = [
            ("state", "=", "sale"),
            ("company_id", "=", self.company_id.id),
            ("user_id", "=", self.user_id.id),
            ("date", ">=", start),
            ("date", "<", stop),
        ]
        if self.product_ids or self.product_categ_ids:
            domain += [
                "|",
                ("product_id", "in", self.product_ids.ids),
                ("categ_id", "child_of", self.product_categ_ids.ids),
            ]
        if self.territory_id:
            domain.append(("sales_territory_id", "child_of", self.territory_id.id))
        return domain

    def _proposed_name(self):
        """ "Building Materials · West Coast · Q3 2025"."""
        self.ensure_one()
        return f"{self._scope_label()} · {self._period_label()}"

    def _period_label(self):
        """ "Q3 2025", "July 2025", "2025", or the two dates."""
        self.ensure_one()
        start, end = self.date_from, self.date_to
        if (start, end) == date_utils.get_quarter(start):
            return _("Q%(quarter)s %(year)s", quarter=date_utils.get_quarter_number(start), year=start.year)
        if (start, end) == date_utils.get_month(start):
            return format_date(self.env, start, date_format="MMMM y")
        if (start, end) == date_utils.get_fiscal_year(start):
            return str(start.year)
        return f"{format_date(self.env, start)} – {format_date(self.env, end)}"

    def _scope_label(self):
        """The product and territory scope in a few words."""
        self.ensure_one()
        names = self.product_categ_ids.mapped("name") + self.product_ids.mapped("display_name")
        label = ", ".join(names[:2]) + (f" +{len(names) - 2}" if len(names) > 2 else "")
        label = label or _("All Products")
        if self.territory_id:
            label = f"{label} · {self.territory_id.name}"
        return label
