"""Who reads and who decides on handover proposals (issue 15, item 5): the rule's
approver and Sales Administrators decide; the hunter and the proposed owner
read; everyone else as the handover log's visibility."""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .test_handover_proposals import ProposalsCase


@tagged("post_install", "-at_install")
class TestProposalRights(ProposalsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # As Settings > Users creates them (Contact Creation, Product Creation) ...
        cls.director = cls._settings_user("hp_director", "sales_team.group_sale_manager")
        cls.hunter_s = cls._settings_user("hp_hunter")
        cls.proposed_owner = cls._settings_user("hp_proposed_owner")
        cls.seller = cls._settings_user("hp_seller")
        cls.seller_all = cls._settings_user("hp_seller_all", "sales_team.group_sale_salesman_all_leads")
        # ... and bare: a salesperson with nothing but the Sales group.
        cls.bare = new_test_user(cls.env, "hp_bare", groups="sales_team.group_sale_salesman")
        cls.rule.target_user_ids = [Command.set(cls.proposed_owner.ids)]

    def setUp(self):
        super().setUp()
        self.client = self._won_client("Contested Client", user=self.hunter_s)
        self._night()
        self.proposal = self._proposal(self.client)
        self.assertEqual(self.proposal.to_user_id, self.proposed_owner)

    def _rights(self, user):
        proposal = self.proposal.with_user(user)
        other_owner = self.farmer.id
        return {
            "read": self._can(lambda: proposal.read(["order_count", "sales_total", "to_user_id"])),
            "change owner": self._can(lambda: proposal.write({"to_user_id": other_owner})),
            "approve": self._can(proposal.action_approve),
            "reject": self._can(lambda: proposal.action_reject("No")),
            "banner": bool(self.client.with_user(user).handover_proposal_id),
        }

    def test_who_reads_and_who_decides(self):
        everything = {"read": True, "change owner": True, "approve": True, "reject": True, "banner": True}
        reads = {"read": True, "change owner": False, "approve": False, "reject": False, "banner": True}
        nothing = dict.fromkeys(everything, False)
        expected = {
            "approver": (self.approver, everything),
            "Sales Administrator": (self.director, everything),
            "hunter": (self.hunter_s, reads),
            "proposed owner": (self.proposed_owner, reads),
            "all documents salesperson": (self.seller_all, reads),
            "other salesperson": (self.seller, nothing),
            "bare salesperson": (self.bare, nothing),
        }
        for who, (user, rights) in expected.items():
            with self.subTest(who=who):
                self.assertEqual(self._rights(user), rights)

    def test_decision_buttons_show_to_those_who_decide(self):
        for user, decides in ((self.approver, True), (self.director, True), (self.hunter_s, False)):
            with self.subTest(user=user.login):
                self.assertEqual(self.proposal.with_user(user).can_decide, decides)
                self.assertEqual(self.client.with_user(user).handover_proposal_can_decide, decides)

    def test_a_rejected_proposal_gives_no_access_to_the_history(self):
        # the history of the client: a handover the proposed owner had no part in
        self.proposal.action_reject("Not him")
        self.env["sales.handover.wizard"].create(
            {"partner_ids": [Command.set(self.client.ids)], "user_id": self.hunter_2.id, "reason": "Setup"}
        ).action_confirm()
        seen = self.Handover.with_user(self.proposed_owner).search([("partner_id", "=", self.client.id)])
        self.assertEqual(seen, self.proposal, "the proposal naming him, not the client's history")

    def test_the_proposals_menu(self):
        menu = self.env.ref("sales_roles.sales_handover_proposal_menu")
        Menu = self.env["ir.ui.menu"]
        for user, sees in (
            (self.approver, True),
            (self.director, True),
            (self.hunter_s, False),
            (self.seller, False),
        ):
            with self.subTest(user=user.login):
                self.assertEqual(menu.id in Menu.with_user(user)._visible_menu_ids(), sees)

    def test_approver_group_follows_the_rules(self):
        group = self.env.ref("sales_roles.group_handover_approver")
        self.assertIn(self.approver, group.users)
        self.rule.approver_id = self.seller
        self.assertIn(self.seller, group.users)
        self.assertNotIn(self.approver, group.users)
        self.assertTrue(self.proposal.with_user(self.seller).can_decide)
        self.assertFalse(self.proposal.with_user(self.approver).can_decide)
        self.rule.approval_required = False
        self.assertNotIn(self.seller, group.users)

    def test_target_team_leader_decides_when_the_rule_names_no_approver(self):
        self.farm_team.user_id = self.seller
        self.rule.approver_id = False
        group = self.env.ref("sales_roles.group_handover_approver")
        self.assertIn(self.seller, group.users)
        self.assertEqual(self.rule._approvers(), self.seller)
        self.assertTrue(self.proposal.with_user(self.seller).can_decide)
        self.proposal.with_user(self.seller).action_reject("The team is full")
        self.assertEqual(self.proposal.decided_by_id, self.seller)
        # a new leader takes it over
        self.farm_team.user_id = self.seller_all
        self.assertNotIn(self.seller, group.users)
        self.assertIn(self.seller_all, group.users)

    def test_without_approver_the_sales_administrators_decide(self):
        self.rule.approver_id = False
        self.farm_team.user_id = self.env.ref("base.user_admin").copy({"login": "hp_no_sales"})
        self.farm_team.user_id.groups_id = [Command.set(self.env.ref("base.group_user").ids)]
        approvers = self.rule._approvers()
        self.assertIn(self.director, approvers, "a leader without Sales rights does not approve")
        self.assertNotIn(self.seller, approvers)
        self.assertTrue(all(user.has_group("sales_team.group_sale_manager") for user in approvers))
        self.rule._refresh_approver_activities(notify=True)
        self.assertEqual(self._todos().user_id, approvers, "a to-do for each of them")
        self.proposal.with_user(self.director).action_approve()
        self.assertFalse(self._todos(), "all of them are done together")

    def test_approver_must_be_a_salesperson_of_the_company(self):
        internal = new_test_user(self.env, "hp_internal", groups="base.group_user")
        with self.assertRaises(ValidationError):
            self.rule.approver_id = internal


@tagged("post_install", "-at_install")
class TestProposalMultiCompany(ProposalsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        only_b = {"company_id": cls.company_b.id, "company_ids": [Command.set(cls.company_b.ids)]}
        cls.admin_b = cls._settings_user("hp_admin_b", "sales_team.group_sale_manager", **only_b)
        cls.hunter_b = cls._settings_user("hp_hunter_b", **only_b)
        cls.farmer_b = cls._settings_user("hp_farmer_b", **only_b)
        cls.rule_b = cls._rule(
            [{"criterion": "order_count", "min_count": 1}],
            name="Company B: after the 1st order",
            company_id=cls.company_b.id,
            target_user_ids=[Command.set(cls.farmer_b.ids)],
            approval_required=True,
        )

    def test_proposals_stay_within_their_company(self):
        client_b = self._client("Client B", user_id=self.hunter_b.id, company_id=self.company_b.id)
        self.env["sale.order"].with_company(self.company_b).create(
            {
                "partner_id": client_b.id,
                "user_id": self.hunter_b.id,
                "company_id": self.company_b.id,
                "order_line": [Command.create({"product_id": self.product.id, "price_unit": 10})],
            }
        ).action_confirm()
        client_a = self._won_client("Client A")
        self._night()
        proposal_b, proposal_a = self._proposal(client_b), self._proposal(client_a)
        self.assertEqual(proposal_b.company_id, self.company_b)
        self.assertEqual(proposal_a.company_id, self.company)
        self.assertEqual(self.rule_b._approvers(), self.admin_b, "the administrators of its company")
        self.assertEqual(self._todos(self.rule_b).user_id, self.admin_b)

        for user, proposal in (
            (self.manager, proposal_b),
            (self.admin_b, proposal_a),
            (self.approver, proposal_b),
        ):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                proposal.with_user(user).action_approve()
        proposal_b.with_user(self.admin_b).with_context(
            allowed_company_ids=self.company_b.ids
        ).action_approve()
        self.assertEqual(client_b.user_id, self.farmer_b)
        self.assertEqual(proposal_b.order_count, 1, "measured on the orders of company B")

    def test_approver_of_another_company_is_refused(self):
        with self.assertRaises(ValidationError):
            self.rule_b.approver_id = self.approver
