from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, html2plaintext

TASK_KINDS = [
    ("lapsed", "Win Back"),
    ("cross_sell", "Cross-Sell"),
]


class SalesTargetTask(models.Model):
    """One piece of work a manager set for the salesperson of a target: an
    activity on one of the salesperson's clients.

    The activity is the salesperson's to do; the task keeps its outcome for the
    target once the activity is gone (Odoo deletes done activities unless their
    type keeps them, see mail.activity._action_done). Written by the system
    only: the task wizard creates them, marking the activity done or cancelling
    it closes them.
    """

    _name = "sales.target.task"
    _description = "Task from a Sales Target"
    _order = "state, date_deadline, id"
    _rec_name = "partner_id"

    target_id = fields.Many2one("sales.target", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="target_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True, index=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, readonly=True, ondelete="cascade"
    )
    activity_id = fields.Many2one("mail.activity", readonly=True, index="btree_not_null", ondelete="set null")
    activity_type_id = fields.Many2one("mail.activity.type", readonly=True, ondelete="set null")
    summary = fields.Char(readonly=True)
    date_deadline = fields.Date(string="Due Date", readonly=True)
    kind = fields.Selection(
        TASK_KINDS,
        required=True,
        readonly=True,
        help="Win back: the client bought in the target's scope before, not lately. "
        "Cross-sell: it never bought in the target's scope.",
    )
    state = fields.Selection(
        [("open", "Open"), ("done", "Done"), ("cancelled", "Cancelled")],
        string="Status",
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    date_done = fields.Date(readonly=True)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self):
        """Cancel open tasks: their activities are deleted (the salesperson's to-do list follows)."""
        self.target_id.check_access("write")
        open_tasks = self.filtered(lambda task: task.state == "open")
        # sudo: the activities are the salesperson's, on their clients; the manager
        # may change the target they were set for (checked above).
        open_tasks.activity_id.sudo().unlink()
        open_tasks.sudo().state = "cancelled"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _eligible_clients(self, target):
        """The clients a task of ``target`` may be about: the salesperson's own
        (commercial partners they own), of the target's company or shared, in
        its territory when it has one."""
        domain = [
            ("user_id", "=", target.user_id.id),
            ("parent_id", "=", False),
            ("company_id", "in", [target.company_id.id, False]),
        ]
        if target.territory_id:
            domain.append(("sales_territory_id", "child_of", target.territory_id.id))
        return self.env["res.partner"].search(domain)

    @api.model
    def _find_clients(self, target, kind, months=6):
        """The salesperson's clients to work on for ``target``, without an open task of it.

        :param str kind: ``lapsed``: clients that bought in the product scope
            before, but not in the last ``months`` months; ``cross_sell``:
            clients that never bought in it
        :return: res.partner
        """
        if kind == "lapsed" and months < 1:
            raise UserError(_("Count at least one month without purchase."))
        # Only who may read the target lists its salesperson's clients.
        target.check_access("read")
        clients = self._eligible_clients(target)
        busy = self.search([("target_id", "=", target.id), ("state", "=", "open")]).partner_id
        clients -= busy
        last_purchase = self._last_purchases(target, clients)
        if kind == "cross_sell":
            return clients.filtered(lambda client: client.id not in last_purchase)
        cutoff = fields.Datetime.now() - relativedelta(months=months)
        return clients.filtered(
            lambda client: client.id in last_purchase and last_purchase[client.id] < cutoff
        )

    @api.model
    def _last_purchases(self, target, clients):
        """The date of each client's last confirmed order line in the target's
        product scope, any salesperson, of the target's company (one query).

        :return: dict client id -> datetime (clients that never bought in scope are missing)
        """
        if not clients:
            return {}
        in_scope = SQL("TRUE")
        if target.product_ids or target.product_categ_ids:
            categories = self.env["product.category"].search(
                [("id", "child_of", target.product_categ_ids.ids)]
            )
            in_scope = SQL(
                "(lines.product_id = ANY(%s) OR lines.categ_id = ANY(%s))",
                target.product_ids.ids,
                categories.ids,
            )
        lines = self.env["sale.order.line"]._confirmed_lines_sql(
            company_ids=target.company_id.ids, client_ids=clients.ids
        )
        self.env.flush_all()
        return dict(
            self.env.execute_query(
                SQL(
                    "SELECT lines.client_id, MAX(lines.date_order) FROM (%s) lines WHERE %s GROUP BY lines.client_id",
                    lines,
                    in_scope,
                )
            )
        )

    @api.model
    def _schedule(self, target, clients, kind, activity_type, summary, date_deadline, note=""):
        """One activity per client for the target's salesperson, and its task.

        Only who may change the target schedules work from it; the clients must
        be the salesperson's (see _eligible_clients). The salesperson is told
        once, on the target, rather than by one e-mail per activity.

        :return: the tasks
        """
        target.check_access("write")
        if not clients:
            raise UserError(_("Choose at least one client to schedule a task for."))
        if not summary or not date_deadline:
            raise UserError(_("A task needs a summary and a due date."))
        foreign = clients - self._eligible_clients(target)
        if foreign:
            raise UserError(
                _(
                    "Tasks of target “%(target)s” are for %(user)s's own clients; not: %(clients)s.",
                    target=target.name,
                    user=target.user_id.name,
                    clients=", ".join(foreign.mapped("display_name")),
                )
            )
        salesperson_env = self.with_context(lang=target.user_id.lang or self.env.lang).env
        context = Markup("<p><i>%s</i></p>") % salesperson_env._(
            "Target: %(target)s, set by %(manager)s.", target=target.name, manager=self.env.user.name
        )
        # sudo: the manager may not write the salesperson's clients, on which the
        # activities are; the clients are checked above, the rest is the manager's text.
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                [
                    {
                        "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "res_id": client.id,
                        "activity_type_id": activity_type.id,
                        "summary": summary,
                        "note": Markup(note or "") + context,
                        "date_deadline": date_deadline,
                        "user_id": target.user_id.id,
                        "sales_target_task": True,
                    }
                    for client in clients
                ]
            )
        )
        tasks = self.sudo().create(
            [
                {
                    "target_id": target.id,
                    "user_id": target.user_id.id,
                    "partner_id": activity.res_id,
                    "activity_id": activity.id,
                    "activity_type_id": activity_type.id,
                    "summary": summary,
                    "date_deadline": date_deadline,
                    "kind": kind,
                }
                for activity in activities
            ]
        )
        self._announce(target, tasks, note)
        return tasks.with_env(self.env)

    @api.model
    def _announce(self, target, tasks, note):
        """Tell the salesperson (a follower of the target) once about new tasks."""
        names = tasks.partner_id.mapped("display_name")
        body = Markup("<p>%s</p><p>%s</p>") % (
            _(
                "%(count)s task(s) scheduled for %(user)s: “%(summary)s”, due %(date)s.",
                count=len(tasks),
                user=target.user_id.name,
                summary=tasks[:1].summary,
                date=format_date(self.env, tasks[:1].date_deadline),
            ),
            ", ".join(names[:20]) + (" …" if len(names) > 20 else ""),
        )
        if html2plaintext(note or "").strip():
            body += Markup(note)
        target.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_comment")
