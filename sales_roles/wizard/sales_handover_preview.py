from odoo import _, api, fields, models

from ..tools.bulk import copy_records


class SalesHandoverPreview(models.TransientModel):
    """What a rule would do now: the clients it matches and their proposed owner.

    Planning writes nothing (not even the round robin's position): a preview
    can be opened as often as one likes without changing who gets the next client.
    """

    _name = "sales.handover.preview"
    _description = "Handover Rule Preview"

    rule_id = fields.Many2one("sales.handover.rule", required=True, ondelete="cascade", readonly=True)
    line_ids = fields.One2many("sales.handover.preview.line", "preview_id", string="Clients", readonly=True)
    problem = fields.Text(readonly=True)

    @api.model
    def _open_preview(self, rule):
        """Plan ``rule`` with the rules of its company tried before it and open its clients."""
        plan = rule._rules_to_preview_with()._plan_handovers()
        moves = [move for move in plan.moves if move.rule_id == rule.id]
        preview = self.create({"rule_id": rule.id, "problem": plan.problems.get(rule.id, False)})
        preview._add_lines(moves)
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

    def _add_lines(self, moves):
        """One line per move: the first through the ORM, the others copied from it in
        one query (a preview may list tens of thousands of clients)."""
        self.ensure_one()
        if not moves:
            return
        first, others = moves[0], moves[1:]
        line = self.env["sales.handover.preview.line"].create(
            {
                "preview_id": self.id,
                "partner_id": first.client_id,
                "user_id": first.from_user_id,
                "to_user_id": first.to_user_id,
                "order_count": first.order_count,
                "sales_total": first.sales_total,
            }
        )
        if others:
            copy_records(
                line,
                {
                    "partner_id": [move.client_id for move in others],
                    "user_id": [move.from_user_id or None for move in others],
                    "to_user_id": [move.to_user_id or None for move in others],
                    "order_count": [move.order_count for move in others],
                    "sales_total": [move.sales_total for move in others],
                },
            )


class SalesHandoverPreviewLine(models.TransientModel):
    _name = "sales.handover.preview.line"
    _description = "Client in a Handover Rule Preview"
    _order = "id"
    _rec_name = "partner_id"

    preview_id = fields.Many2one("sales.handover.preview", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Client", required=True, readonly=True)
    sales_lifecycle_state = fields.Selection(related="partner_id.sales_lifecycle_state")
    hunter_id = fields.Many2one(related="partner_id.hunter_id")
    user_id = fields.Many2one("res.users", string="Current Owner", readonly=True)
    to_user_id = fields.Many2one("res.users", string="Proposed Owner", readonly=True)
    order_count = fields.Integer(string="Confirmed Orders", readonly=True)
    sales_total = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one(related="preview_id.rule_id.currency_id")
