from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, create_index

LIFECYCLE_STATES = [
    ("prospect", "Prospect"),
    ("new", "New Client"),
    ("regular", "Regular Client"),
    ("key", "Key Account"),
    ("dormant", "Dormant"),
]

SERVICE_STATUSES = [
    ("none", "No Standard"),
    ("ok", "OK"),
    ("due", "Due"),
    ("overdue", "Overdue"),
]

# What decides ownership and crediting (see sales.protected.mixin).
LIFECYCLE_FIELDS = ("sales_lifecycle_state", "hunter_id", "handover_blocked", "handover_date")
# The service figures, maintained by the daily service job and the touches
# (sales.service.engine) on the commercial partner and all its contacts.
SERVICE_FIELDS = (
    "service_standard_id",
    "last_touch_date",
    "next_touch_date",
    "service_status",
    "purchase_interval_days",
    "at_risk",
    "at_risk_since",
    "last_order_date",
    "sales_12_months",
)
# What a client bought, kept at every change of its confirmed orders whatever
# the service setting (``_refresh_order_figures``): the hunter conversion report
# and the dashboard's call list read them instead of going through every order.
ORDER_FIGURES = ("first_order_id", "sales_total")

# A partner's fields its service standard depends on (see sales.service.engine).
SERVICE_DEPENDENCIES = ("sales_lifecycle_state", "team_id", "user_id", "company_id", "active")

# The clients an owner is loaded with (regular and key accounts): what the least
# loaded assignment counts, on an index of its own (see init()).
OWNED_CLIENTS_WHERE = "id = commercial_partner_id AND active AND sales_lifecycle_state IN ('regular', 'key')"


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "sales.protected.mixin"]

    # Only Sales Administrators set them by hand; the addon's own processes
    # (order confirmation, handovers, syncing contacts, the service job) write
    # them as superuser.
    _sales_protected_fields = LIFECYCLE_FIELDS + SERVICE_FIELDS + ORDER_FIGURES

    # Lifecycle fields are commercial fields: they are kept on the commercial
    # partner and copied onto its contacts by Odoo's commercial sync, so that
    # contacts can be searched and grouped by them too.
    sales_lifecycle_state = fields.Selection(
        LIFECYCLE_STATES,
        string="Lifecycle State",
        required=True,
        default="prospect",
        index=True,
        tracking=True,
        copy=False,
        help="Where the client stands: a prospect has no confirmed order yet, a new "
        "client is still owned by the hunter who won it, a regular client has been "
        "handed over to a farmer, a key account is a regular client promoted to a "
        "key account manager, a dormant client stopped buying.",
    )
    hunter_id = fields.Many2one(
        "res.users",
        index="btree_not_null",
        tracking=True,
        copy=False,
        help="The salesperson who won the client: the salesperson of its first "
        "confirmed order. Handovers never change it.",
    )
    # Core Odoo 18 has no sales team on contacts; handover rules need one to
    # filter clients by team and to move them into the farmers' team.
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index="btree_not_null",
        tracking=True,
        ondelete="set null",
        help="The sales team that looks after the client. Handover rules can be limited to "
        "the clients of some teams and move the clients they hand over to another team.",
    )
    handover_date = fields.Datetime(
        string="Handed Over On",
        copy=False,
        help="When the client was last handed over to a new owner.",
    )
    handover_blocked = fields.Boolean(
        string="Exclude from Automatic Handover",
        copy=False,
        help="Automatic handover rules never move this client; manual handovers still can.",
    )
    # The history: actual changes only (the proposals waiting for a decision, and
    # those rejected or cancelled, are no change of the client). The record rules
    # on handovers read it too: a proposed owner is no former owner.
    handover_ids = fields.One2many(
        "sales.handover", "partner_id", string="Handovers", domain=[("state", "=", "done")]
    )
    # Unlike the lifecycle, the territory follows each partner's own address
    # (a company's branches may sit in different territories); orders take
    # their client's, see sale.order._stamp_sales_territory.
    sales_territory_id = fields.Many2one(
        "sales.territory",
        compute="_compute_sales_territory_id",
        inverse="_inverse_sales_territory_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        check_company=True,
        copy=False,
        help="Found from the address: the most specific territory wins (a state beats a country, "
        "a territory beats its region). Choose another one to override it.",
    )
    sales_territory_manual = fields.Boolean(
        string="Territory Set by Hand",
        copy=False,
        help="The territory was chosen by hand and is kept when the address changes. "
        "Clear it to find the territory from the address again.",
    )
    handover_count = fields.Integer(compute="_compute_handover_count", string="Number of Handovers")
    # The pending proposal, as the user reads it (computed together).
    handover_proposal_id = fields.Many2one(
        "sales.handover",
        compute="_compute_handover_proposal",
        help="The handover a rule proposes for this client, waiting for its approver's decision.",
    )
    handover_proposal_rule_id = fields.Many2one(
        "sales.handover.rule", compute="_compute_handover_proposal", string="Proposed by"
    )
    handover_proposal_user_id = fields.Many2one(
        "res.users", compute="_compute_handover_proposal", string="Proposed New Owner"
    )
    handover_proposal_state = fields.Selection(
        LIFECYCLE_STATES, compute="_compute_handover_proposal", string="Proposed Lifecycle State"
    )
    handover_proposal_can_decide = fields.Boolean(compute="_compute_handover_proposal")

    # Service level: written by the system only (sales.service.engine), in SQL,
    # on the commercial partner and all its contacts; commercial fields, so that
    # a contact created under a client or moved to it shows the client's at once.
    service_standard_id = fields.Many2one(
        "sales.service.standard",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The service standard the client follows: the first active standard of its company "
        "for its lifecycle state (and sales team).",
    )
    last_touch_date = fields.Datetime(
        string="Last Touch",
        readonly=True,
        copy=False,
        help="The latest confirmed order, activity marked done, or message or e-mail from an "
        "internal user, on the client, its contacts or its orders.",
    )
    next_touch_date = fields.Date(
        string="Next Touch",
        readonly=True,
        copy=False,
        help="When the service standard wants the next touch: the last touch plus the standard's "
        "interval (today when the client was never touched).",
    )
    # The column is created with its default by _auto_init: no rewrite of every partner.
    service_status = fields.Selection(
        SERVICE_STATUSES,
        readonly=True,
        copy=False,
        default="none",
        index=True,
        help="OK: touched within the standard. Due: the next touch is within the standard's days "
        "ahead. Overdue: the next touch date has passed.",
    )
    purchase_interval_days = fields.Float(
        string="Purchase Rhythm (Days)",
        digits=(16, 1),
        readonly=True,
        copy=False,
        help="Median days between the client's consecutive confirmed orders over the look-back "
        "period (see Settings); 0 below 3 orders.",
    )
    # Kept by the service refresh so that reports over many clients (Service
    # Level, the dashboard) read them instead of grouping every order.
    last_order_date = fields.Datetime(
        string="Last Order",
        readonly=True,
        copy=False,
        help="The client's last confirmed order, in any company: as of the last service refresh "
        "(every night and at every confirmation or cancellation).",
    )
    sales_12_months = fields.Float(
        string="Sales (12 Months)",
        readonly=True,
        copy=False,
        help="Untaxed amount of the client's confirmed orders of the last 12 months, in each "
        "company's currency: as of the last service refresh (every night and at every confirmation "
        "or cancellation).",
    )
    at_risk = fields.Boolean(
        readonly=True,
        copy=False,
        help="A regular client or key account whose days since its last order exceed the at-risk "
        "factor times its purchase rhythm. Clears itself when it orders again.",
    )
    at_risk_since = fields.Date(readonly=True, copy=False)

    # Order figures: written by the system only, in SQL, on the commercial
    # partner and all its contacts (see ORDER_FIGURES).
    first_order_id = fields.Many2one(
        "sale.order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The client's first confirmed order, in any company: the one that won it.",
    )
    sales_total = fields.Float(
        string="Total Sales",
        readonly=True,
        copy=False,
        help="Untaxed amount of all the client's confirmed orders, in each company's currency. "
        "Kept up to date at every confirmation, cancellation or change of a confirmed order.",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_handover_count(self):
        # As the user: the count is that of the handovers their record rules let them read.
        Handover = self.env["sales.handover"]
        counts = {}
        if Handover.has_access("read"):
            counts = dict(
                Handover._read_group(
                    [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "done")],
                    ["partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            partner.handover_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_handover_proposal(self):
        # As the user: a proposal shows to those who may read it (the hunter, the
        # owner, the proposed owner, the approver, "all documents" users).
        Handover = self.env["sales.handover"]
        proposals = Handover
        if Handover.has_access("read"):
            proposals = Handover.search(
                [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "proposed")]
            )
        proposal_of = {proposal.partner_id: proposal for proposal in proposals}
        for partner in self:
            proposal = proposal_of.get(partner.commercial_partner_id, Handover)
            partner.handover_proposal_id = proposal
            partner.handover_proposal_rule_id = proposal.rule_id
            partner.handover_proposal_user_id = proposal.to_user_id
            partner.handover_proposal_state = proposal.to_state
            partner.handover_proposal_can_decide = proposal.can_decide

    @api.depends("country_id", "state_id", "company_id", "sales_territory_manual")
    def _compute_sales_territory_id(self):
        # A territory chosen by hand is left as it is.
        automatic = self.filtered(lambda p: not p.sales_territory_manual)
        matches = self.env["sales.territory"]._match_partners(automatic)
        for partner in automatic:
            partner.sales_territory_id = matches[partner]

    def _inverse_sales_territory_id(self):
        # Forms also send the value found from the address: only a different
        # one is a choice made by hand.
        matches = self.env["sales.territory"]._match_partners(self)
        for partner in self:
            partner.sales_territory_manual = partner.sales_territory_id != matches[partner]

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def init(self):
        res = super().init()
        # The load of the candidate owners (least loaded assignment): an index-only
        # scan of the handed-over clients instead of reading every regular and key
        # client (0.2 ms instead of 65 ms on 100k clients; a plain index on user_id
        # is slower still, owners having many contacts and prospects). Dropped
        # with the sales_lifecycle_state column.
        create_index(
            self.env.cr,
            "res_partner_sales_roles_owned_clients_index",
            "res_partner",
            ["user_id"],
            where=OWNED_CLIENTS_WHERE,
        )
        return res

    def _auto_init(self):
        cr = self.env.cr
        # No territory exists at install: create the column empty rather than
        # let the ORM compute the territory of every existing partner.
        if not column_exists(cr, "res_partner", "sales_territory_id"):
            create_column(cr, "res_partner", "sales_territory_id", "int4")
        # Every existing partner starts as a prospect (the post-install
        # classification then makes the buyers new clients). A constant default
        # is recorded once in PostgreSQL's catalog, where the ORM would write
        # 'prospect' into every row of the table.
        if not column_exists(cr, "res_partner", "sales_lifecycle_state"):
            create_column(
                cr,
                "res_partner",
                "sales_lifecycle_state",
                "varchar NOT NULL DEFAULT 'prospect'",
                "Lifecycle State",
            )
        # Nor fill the service status of every partner: a column default is
        # instant in PostgreSQL, an UPDATE rewrites the table.
        if not column_exists(cr, "res_partner", "service_status"):
            cr.execute(SQL("ALTER TABLE res_partner ADD COLUMN service_status VARCHAR DEFAULT 'none'"))
        return super()._auto_init()

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "sales_lifecycle_state",
            "hunter_id",
            "team_id",
            "handover_date",
            "handover_blocked",
            *SERVICE_FIELDS,
            *ORDER_FIGURES,
        ]

    @api.model
    def _prepare_create_values(self, vals_list):
        # Defaults from the context and ir.default are in by now.
        vals_list = super()._prepare_create_values(vals_list)
        self._sales_check_protected_create(vals_list)
        return vals_list

    def write(self, vals):
        self._sales_check_protected_write(vals)
        reparented = "parent_id" in vals or "is_company" in vals
        if reparented and not self._sales_may_edit_protected():
            self._check_sales_reparenting(vals)
        # A client's standard follows its state, team, owner and company; a
        # contact's touches follow it to its new client.
        refresh = reparented or not vals.keys().isdisjoint(SERVICE_DEPENDENCIES)
        former_clients = self.commercial_partner_id.ids if reparented else []
        res = super().write(vals)
        if refresh:
            self.env["sales.service.engine"]._service_refresh_later(
                client_ids=former_clients, partner_ids=self.ids, orders_changed=reparented
            )
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_handed_over(self):
        Handover = self.env["sales.handover"].sudo()
        groups = Handover._read_group([("partner_id", "in", self.ids)], ["partner_id"])
        handed_over = self.browse(partner.id for (partner,) in groups)
        if handed_over:
            raise UserError(
                _(
                    "%(clients)s cannot be deleted: their handovers are the audit trail of who owned "
                    "them. Archive them instead.",
                    clients=", ".join(handed_over.sudo().mapped("display_name")[:10]),
                )
            )

    # ------------------------------------------------------------
    # PROTECTED FIELDS (see sales.protected.mixin)
    # ------------------------------------------------------------

    @api.model
    def _sales_create_allowed_values(self, vals):
        """A new partner is a prospect; a contact created under a parent may
        also carry its commercial partner's values (commercial sync copies
        them anyway)."""
        allowed = super()._sales_create_allowed_values(vals)
        allowed["sales_lifecycle_state"] = {"prospect"}
        allowed["service_status"].add("none")
        if vals.get("parent_id") and not vals.get("is_company"):
            # sudo: only widens what is allowed to the values Odoo's commercial sync copies anyway.
            client = self.browse(vals["parent_id"]).sudo().commercial_partner_id
            for name, value in client._sales_values().items():
                allowed[name].add(value)
        return allowed

    def _check_sales_reparenting(self, vals):
        """Refuse a change of parent or of company type that changes the
        lifecycle data of a client, for users who may not edit it.

        Commercial sync copies the lifecycle data of the new commercial partner
        onto a partner (as superuser): a client attached to another company
        would take its state and hunter, and keep them when detached again. A
        client may join another one only when their lifecycle data are the
        same, and a contact may become a client of its own only when it carries
        the plain defaults of a prospect. A contact moving from a client to
        another only mirrors their data: no client's data change. (The service
        figures follow too, but they are facts the system recomputes: see
        ``_service_refresh_later``.)
        """
        defaults = {name: self._sales_normalize(name, False) for name in LIFECYCLE_FIELDS}
        defaults["sales_lifecycle_state"] = "prospect"
        new_parent = self.browse(vals["parent_id"]) if "parent_id" in vals else None
        for partner in self.sudo():
            parent = partner.parent_id if new_parent is None else new_parent.sudo()
            is_company = vals["is_company"] if "is_company" in vals else partner.is_company
            client = partner if is_company or not parent else parent.commercial_partner_id
            if client == partner.commercial_partner_id:
                continue
            carried = partner._sales_values(LIFECYCLE_FIELDS)
            if client == partner:
                expected, source = defaults, partner.commercial_partner_id
            elif partner.commercial_partner_id == partner:
                expected, source = client._sales_values(LIFECYCLE_FIELDS), client
            else:
                continue
            changed = [name for name in LIFECYCLE_FIELDS if carried[name] != expected[name]]
            if not changed:
                continue
            if client == partner:
                raise AccessError(
                    _(
                        "%(partner)s cannot become a client of its own: it would keep the %(fields)s of "
                        "%(client)s. Only Sales Administrators can do that.",
                        partner=partner.display_name,
                        fields=self._sales_field_labels(changed),
                        client=source.display_name,
                    )
                )
            raise AccessError(
                _(
                    "%(partner)s cannot become a contact of %(client)s: its %(fields)s would change. "
                    "Only Sales Administrators can do that.",
                    partner=partner.display_name,
                    fields=self._sales_field_labels(changed),
                    client=source.display_name,
                )
            )

    def _check_sales_merge(self, sources):
        """Refuse merging ``sources`` into ``self`` when the merge would change the
        lifecycle data of ``self``, for users who may not edit it.

        Odoo's merge gives the destination, field by field, its own value if set,
        else the last set value of the sources
        (``base.partner.merge.automatic.wizard._update_values``). The service
        figures are left to the system (see ``_service_prepare_merge``).
        """
        self.ensure_one()
        if self._sales_may_edit_protected():
            return
        changed = []
        for name in LIFECYCLE_FIELDS:
            merged = next((partner[name] for partner in (self | sources[::-1]).sudo() if partner[name]), None)
            if merged is not None and self._sales_normalize(name, merged) != self._sales_values([name])[name]:
                changed.append(name)
        if changed:
            raise AccessError(
                _(
                    "Merging into %(partner)s would change its %(fields)s. Choose the client that has "
                    "this lifecycle as the destination contact, or ask a Sales Administrator.",
                    partner=self.display_name,
                    fields=self._sales_field_labels(changed),
                )
            )

    def _service_prepare_merge(self, sources):
        """Give ``sources`` the service figures of ``self``, their destination, so
        that the merge writes none of them: they are the system's, and the
        merged client's are recomputed from all its touches and orders."""
        self.ensure_one()
        self.flush_recordset(list(SERVICE_FIELDS))
        sources.flush_recordset(list(SERVICE_FIELDS))
        columns = SQL(", ").join(SQL.identifier(name) for name in SERVICE_FIELDS)
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET (%s) = (SELECT %s FROM res_partner WHERE id = %s) WHERE id = ANY(%s)",
                columns,
                columns,
                self.id,
                sources.ids,
            )
        )
        sources.invalidate_recordset(list(SERVICE_FIELDS))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_handovers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_handover_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False, "search_default_done": 1}
        return action

    def action_approve_handover_proposal(self):
        """Approve the handover proposed for this client (see sales.handover.action_approve)."""
        self.ensure_one()
        return self._handover_proposal().action_approve()

    def action_reject_handover_proposal(self):
        """Ask why the handover proposed for this client is rejected."""
        self.ensure_one()
        return self._handover_proposal().action_open_reject_wizard()

    def _handover_proposal(self):
        proposal = self.handover_proposal_id
        if not proposal:
            raise UserError(_("No handover is proposed for %(client)s any more.", client=self.display_name))
        return proposal

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _mark_as_won(self, hunter_by_client):
        """Turn prospects into new clients owned by their hunter.

        :param dict hunter_by_client: commercial partner -> res.users (the hunter)
        """
        clients_by_hunter = {}
        for client, hunter in hunter_by_client.items():
            clients_by_hunter.setdefault(hunter, self.browse())
            clients_by_hunter[hunter] |= client
        for hunter, clients in clients_by_hunter.items():
            # Confirming an order is allowed to salesmen who may not set hunters.
            clients.sudo().write({"sales_lifecycle_state": "new", "hunter_id": hunter.id})

    @api.model
    def _classify_existing_clients(self):
        """Classify the clients of a database that existed before the addon.

        Clients with a confirmed order become ``new`` with the salesperson of
        their first confirmed order (else their own salesperson) as hunter; the
        others stay ``prospect`` (the column's default). One statement for all
        partners, whatever their number: this runs at install on live
        databases with years of orders. Their orders are left as they are:
        ``sale.order._cron_stamp_historical_orders`` credits them to the hunter
        afterwards, in committed batches, and reports read the client's hunter
        until then.

        :return: the number of partners (clients and contacts) classified as new
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH first_order AS (%s)
                UPDATE res_partner partner
                   SET sales_lifecycle_state = 'new',
                       hunter_id = COALESCE(first_order.user_id, client.user_id),
                       first_order_id = first_order.order_id,
                       sales_total = first_order.sales_total
                  FROM first_order
                  JOIN res_partner client ON client.id = first_order.client_id
                 WHERE partner.commercial_partner_id = first_order.client_id
                   AND partner.sales_lifecycle_state = 'prospect'
                """,
                self.env["sale.order"]._client_order_figures_sql(),
            )
        )
        classified = self.env.cr.rowcount
        self.invalidate_model(["sales_lifecycle_state", "hunter_id", *ORDER_FIGURES])
        return classified

    @api.model
    def _refresh_order_figures(self, client_ids=None):
        """Write the order figures (``ORDER_FIGURES``) of every client (or of
        ``client_ids``, commercial partners) on it and all its contacts, in one
        statement; rows already right are not rewritten, a client left without
        confirmed order is emptied."""
        clients = SQL("client.is_company OR client.parent_id IS NULL")  # as in _service_figures_sql
        if client_ids is not None:
            clients = SQL("client.id = ANY(%s)", list(client_ids))
        self.env["res.partner"].flush_model()
        self.env["sale.order"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH figures AS MATERIALIZED (%(figures)s)
                UPDATE res_partner partner
                   SET first_order_id = figures.order_id,
                       sales_total = COALESCE(figures.sales_total, 0)
                  FROM res_partner client
             LEFT JOIN figures ON figures.client_id = client.id
                 WHERE (%(clients)s)
                   AND partner.commercial_partner_id = client.id
                   AND (partner.first_order_id, COALESCE(partner.sales_total, 0))
                       IS DISTINCT FROM (figures.order_id, COALESCE(figures.sales_total, 0))
                """,
                figures=self.env["sale.order"]._client_order_figures_sql(client_ids=client_ids),
                clients=clients,
            )
        )
        self.invalidate_model(list(ORDER_FIGURES))
