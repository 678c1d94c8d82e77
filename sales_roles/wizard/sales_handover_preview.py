from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import TableKind, table_kind


class SalesHandoverPreview(models.TransientModel):
    """What a rule would do now: the clients it matches and their proposed owner.

    Planning writes nothing (not even the round robin's position): a preview
    can be opened as often as one likes without changing who gets the next client.
    """

    _name = "sales.handover.preview"
    _description = "Handover Rule Preview"

    rule_id = fields.Many2one("sales.handover.rule", required=True, ondelete="cascade", readonly=True)
    # The planned moves, one row of the lines' view each (see SalesHandoverPreviewLine):
    # [client, current owner, proposed owner, confirmed orders, sales total].
    # Tens of thousands of lines cost one row here, where a row per line cost
    # six foreign-key checks each (8 s for 55,000 clients on a loaded 2-core machine).
    moves = fields.Json(readonly=True, prefetch=False)
    line_ids = fields.One2many("sales.handover.preview.line", "preview_id", string="Clients", readonly=True)
    problem = fields.Text(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        # Its moves are its rule's plan, made as superuser by _open_preview: forged,
        # its lines would show any client (e.g. another company's) with its hunter.
        self._check_made_by_rule()
        return super().create(vals_list)

    def write(self, vals):
        self._check_made_by_rule()
        return super().write(vals)

    def _check_made_by_rule(self):
        if not self.env.su:
            raise AccessError(_("Previews are made by the Preview button of a handover rule only."))

    @api.model
    def _open_preview(self, rule):
        """Plan ``rule`` with the rules of its company tried before it and open its clients."""
        plan = rule._rules_to_preview_with()._plan_handovers()
        moves = [
            [
                move.client_id,
                move.from_user_id or None,
                move.to_user_id or None,
                move.order_count,
                move.sales_total,
            ]
            for move in plan.moves
            if move.rule_id == rule.id
        ]
        preview = (
            self.sudo()
            .create({"rule_id": rule.id, "moves": moves, "problem": plan.problems.get(rule.id, False)})
            .with_env(self.env)
        )
        action = {
            "type": "ir.actions.act_window",
            "name": _("Preview: %(rule)s (%(count)s client(s))", rule=rule.name, count=len(moves)),
            "res_model": "sales.handover.preview.line",
            "view_mode": "list",
            "views": [(False, "list")],
            "domain": [("preview_id", "=", preview.id)],
            "context": {"create": False, "edit": False, "delete": False},
            "help": _("<p>No client meets this rule right now.</p>"),
        }
        if not preview.problem:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "warning", "sticky": True, "message": preview.problem, "next": action},
        }


class SalesHandoverPreviewLine(models.Model):
    """The clients of a preview: a view of its moves, one line per client.

    Read only; like the preview itself (a transient record), readable by the
    user who opened it only (see the record rule).
    """

    _name = "sales.handover.preview.line"
    _description = "Client in a Handover Rule Preview"
    _auto = False
    _order = "id"
    _rec_name = "partner_id"
    _depends = {"sales.handover.preview": ["moves", "rule_id"]}

    preview_id = fields.Many2one("sales.handover.preview", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    sales_lifecycle_state = fields.Selection(related="partner_id.sales_lifecycle_state")
    hunter_id = fields.Many2one(related="partner_id.hunter_id")
    user_id = fields.Many2one("res.users", string="Current Owner", readonly=True)
    to_user_id = fields.Many2one("res.users", string="Proposed Owner", readonly=True)
    order_count = fields.Integer(string="Confirmed Orders", readonly=True)
    sales_total = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one(related="preview_id.rule_id.currency_id")

    @property
    def _table_query(self):
        # A line's id: its preview's in the high 32 bits, its rank in the low ones.
        return SQL(
            """
            SELECT (preview.id::bigint << 32) + move.rank AS id,
                   preview.id AS preview_id,
                   (move.value ->> 0)::int AS partner_id,
                   (move.value ->> 1)::int AS user_id,
                   (move.value ->> 2)::int AS to_user_id,
                   (move.value ->> 3)::int AS order_count,
                   (move.value ->> 4)::numeric AS sales_total
              FROM sales_handover_preview preview
             CROSS JOIN LATERAL jsonb_array_elements(preview.moves) WITH ORDINALITY AS move(value, rank)
            """
        )

    def init(self):
        # The lines were a table of their own before they were a view.
        if table_kind(self.env.cr, self._table) == TableKind.Regular:
            self.env.cr.execute(SQL("DROP TABLE %s CASCADE", SQL.identifier(self._table)))
