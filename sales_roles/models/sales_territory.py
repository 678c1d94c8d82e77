from odoo import _, api, fields, models
from odoo.exceptions import UserError

# Changing these moves partners from one territory to another.
MATCHING_FIELDS = {"company_id", "parent_id", "country_ids", "state_ids", "active"}


class SalesTerritory(models.Model):
    _name = "sales.territory"
    _description = "Sales Territory"
    _parent_store = True
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    # "Region / Territory", hence recursive.
    display_name = fields.Char(compute="_compute_display_name", search="_search_display_name", recursive=True)
    active = fields.Boolean(default=True)
    # Empty means shared: in a single-company database every territory matches
    # every partner, whose company is usually empty too.
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the territory between companies. A partner is "
        "matched with the territories of its company and the shared ones.",
    )
    parent_id = fields.Many2one(
        "sales.territory",
        string="Region",
        index=True,
        ondelete="restrict",
        check_company=True,
        help="The region this territory belongs to. A region is a territory with territories under it.",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("sales.territory", "parent_id", string="Territories")
    country_ids = fields.Many2many(
        "res.country",
        string="Countries",
        help="Partners in these countries belong to the territory, unless a more specific one matches.",
    )
    state_ids = fields.Many2many(
        "res.country.state",
        string="States",
        help="Partners in these states belong to the territory; a state match beats a country match.",
    )
    manager_id = fields.Many2one(
        "res.users",
        index="btree_not_null",
        domain="[('share', '=', False)]",
        help="The territory manager (or regional manager, for a region): answers for its sales "
        "and sees them in the Sales Matrix, with those of the territories under it.",
    )
    # The managers of the territory and of its regions up the tree, kept stored
    # so that record rules can say "territories managed by me, regions included".
    all_manager_ids = fields.Many2many(
        "res.users",
        "sales_territory_all_manager_rel",
        "territory_id",
        "user_id",
        string="Managers Up the Tree",
        compute="_compute_all_manager_ids",
        store=True,
        recursive=True,
    )

    @api.depends("name", "parent_id.display_name")
    def _compute_display_name(self):
        for territory in self:
            if territory.parent_id:
                territory.display_name = f"{territory.parent_id.display_name} / {territory.name}"
            else:
                territory.display_name = territory.name

    @api.depends("manager_id", "parent_id.all_manager_ids")
    def _compute_all_manager_ids(self):
        for territory in self:
            territory.all_manager_ids = territory.manager_id | territory.parent_id.all_manager_ids

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        territories = super().create(vals_list)
        territories._rematch_partners()
        return territories

    def write(self, vals):
        if "parent_id" in vals:
            # Targets on a region count the territories under it: those on the
            # regions it leaves and joins (and those above).
            parents = self.parent_id | self.browse(vals["parent_id"])
            self.env["sales.target"]._mark_scopes_achievement_changed("territory_id", parents)
        if not MATCHING_FIELDS & vals.keys():
            return super().write(vals)
        before = self._matchable_partners()
        result = super().write(vals)
        self._rematch_partners(before)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used_in_orders(self):
        used = self.env["sale.order"].sudo().search([("sales_territory_id", "in", self.ids)], limit=1)
        if used:
            raise UserError(
                _(
                    "Territory %(territory)s cannot be deleted: confirmed orders such as %(order)s are "
                    "credited to it. Archive it instead.",
                    territory=used.sales_territory_id.display_name,
                    order=used.name,
                )
            )

    def unlink(self):
        partners = self._matchable_partners()
        # A hand-picked territory that disappears goes back to the automatic one.
        manual = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("sales_territory_id", "in", self.ids), ("sales_territory_manual", "=", True)])
        )
        result = super().unlink()
        manual.sales_territory_manual = False
        self._mark_to_rematch(partners)
        return result

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _matchable_partners(self):
        """Partners whose automatic territory may depend on these territories (sub-territories included)."""
        territories = self.with_context(active_test=False).search([("id", "child_of", self.ids)])
        countries = territories.country_ids | territories.state_ids.country_id
        if not countries:
            return self.env["res.partner"]
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("country_id", "in", countries.ids), ("sales_territory_manual", "=", False)])
        )

    def _rematch_partners(self, partners=None):
        self._mark_to_rematch((partners or self.env["res.partner"]) | self._matchable_partners())

    def _mark_to_rematch(self, partners):
        # Recomputed at the next flush, in one batch.
        self.env.add_to_compute(self.env["res.partner"]._fields["sales_territory_id"], partners)

    @api.model
    def _match_partners(self, partners):
        """The most specific territory of each partner's address.

        A territory listing the partner's state beats one listing only its
        country; then the deepest territory of the tree wins (a territory beats
        its region); the oldest one breaks the remaining ties. Only active
        territories of the partner's company, or shared ones, take part.

        :return: dict partner -> sales.territory (possibly empty)
        """
        result = dict.fromkeys(partners, self.browse())
        located = partners.filtered(lambda p: p.country_id or p.state_id)
        if not located:
            return result
        # sudo: the partners' companies' territories, whichever company the user is in.
        territories = self.sudo().search(
            [
                ("company_id", "in", [*located.company_id.ids, False]),
                "|",
                ("country_ids", "in", located.country_id.ids),
                ("state_ids", "in", located.state_id.ids),
            ]
        )
        best_by_address = {}
        for partner in located:
            address = (partner.company_id, partner.country_id, partner.state_id)
            if address not in best_by_address:
                best_by_address[address] = territories._most_specific(*address).with_env(self.env)
            result[partner] = best_by_address[address]
        return result

    def _most_specific(self, company, country, state):
        """Among these territories, the best match of an address (see _match_partners)."""
        candidates = self.filtered(
            lambda t: (
                (not t.company_id or t.company_id == company)
                and (state in t.state_ids or country in t.country_ids)
            )
        )
        return max(
            candidates,
            key=lambda t: (state in t.state_ids, t.parent_path.count("/"), -t.id),
            default=self.browse(),
        )
