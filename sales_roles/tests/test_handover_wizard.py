from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHandoverWizard(SalesRolesCase):
    def _wizard(self, user, partners, **vals):
        context = {"active_model": "res.partner", "active_ids": partners.ids}
        form = Form(self.env["sales.handover.wizard"].with_user(user).with_context(**context))
        for name, value in vals.items():
            setattr(form, name, value)
        return form.save()

    def test_manual_handover_of_several_clients(self):
        clients = self._client("One", user_id=self.hunter.id) | self._client("Two", user_id=self.hunter.id)
        contact = self.env["res.partner"].create({"name": "Contact", "parent_id": clients[0].id})
        self._order(clients[0], amount=250)
        wizard = self._wizard(
            self.manager,
            clients | contact,
            user_id=self.farmer,
            to_state="key",
            reason="Annual contract signed",
        )
        self.assertEqual(wizard.partner_ids, clients, "contacts stand for their company")
        wizard.action_confirm()
        self.assertEqual(clients.mapped("user_id"), self.farmer)
        self.assertEqual(set(clients.mapped("sales_lifecycle_state")), {"key"})
        self.assertEqual(contact.user_id, self.farmer)
        log = clients[0].handover_ids
        self.assertRecordValues(
            log,
            [
                {
                    "trigger": "manual",
                    "rule_id": False,
                    "reason": "Annual contract signed",
                    "order_count": 1,
                    "sales_total": 250.0,
                    "from_user_id": self.hunter.id,
                    "to_user_id": self.farmer.id,
                    "from_state": "new",
                    "to_state": "key",
                }
            ],
        )
        self.assertIn("Annual contract signed", clients[1].message_ids[0].body)

    def test_reason_required(self):
        client = self._client("No reason", user_id=self.hunter.id)
        with self.assertRaises(AssertionError):  # the form refuses to save without it
            self._wizard(self.hunter, client, user_id=self.farmer)
        wizard = (
            self.env["sales.handover.wizard"]
            .with_user(self.hunter)
            .create({"partner_ids": [(6, 0, client.ids)], "user_id": self.farmer.id, "reason": "   "})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(client.user_id, self.hunter)

    def test_own_documents_salesman_hands_over_only_own_clients(self):
        mine = self._client("Mine", user_id=self.hunter.id)
        theirs = self._client("Theirs", user_id=self.hunter_2.id)
        with self.assertRaises(AccessError):
            self._wizard(self.hunter, mine | theirs, user_id=self.farmer, reason="Leaving").action_confirm()
        self.assertEqual(theirs.user_id, self.hunter_2)
        self.assertEqual(mine.user_id, self.hunter, "nothing written")
        self._wizard(self.hunter, mine, user_id=self.farmer, reason="Leaving").action_confirm()
        self.assertEqual(mine.user_id, self.farmer)

    def test_all_documents_user_hands_over_any_client(self):
        theirs = self._client("Theirs", user_id=self.hunter_2.id)
        self._wizard(self.farmer, theirs, user_id=self.hunter, reason="Territory change").action_confirm()
        self.assertEqual(theirs.user_id, self.hunter)

    def test_nothing_to_change(self):
        client = self._client("Same", user_id=self.farmer.id)
        with self.assertRaisesRegex(UserError, "Nothing to hand over"):
            self._wizard(self.manager, client, user_id=self.farmer, reason="No-op").action_confirm()
        self.assertFalse(client.handover_ids)

    def test_states_must_differ_only_for_rules(self):
        # the wizard may keep the state and change the owner only
        client = self._client("Owner only", user_id=self.hunter.id)
        self._wizard(self.manager, client, user_id=self.farmer, reason="Reorg").action_confirm()
        self.assertEqual(client.handover_ids.from_state, client.handover_ids.to_state)
        with self.assertRaises(ValidationError):
            self.env["sales.handover.rule"].create({"name": "x", "from_state": "new", "to_state": "new"})

    # ------------------------------------------------------------
    # Who may hand what to whom (issue 11, item 4)
    # ------------------------------------------------------------

    def _confirm(self, user, clients, **vals):
        """The wizard as ``user`` through RPC-like create (the form hides ``to_state`` from non-admins)."""
        return (
            self.env["sales.handover.wizard"]
            .with_user(user)
            .create({"partner_ids": [Command.set(clients.ids)], "reason": "Check", **vals})
            .action_confirm()
        )

    def test_salespeople_cannot_hand_clients_to_themselves(self):
        theirs = self._client("Colleague's", user_id=self.hunter_2.id)
        seller_all = self._settings_user("hw_seller_all", "sales_team.group_sale_salesman_all_leads")
        for user in (self.farmer, seller_all):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "to yourself"):
                self._confirm(user, theirs, user_id=user.id)
        self.assertEqual(theirs.user_id, self.hunter_2)
        self.assertFalse(theirs.handover_ids, "nothing logged")
        self._confirm(self.manager, theirs, user_id=self.manager.id)
        self.assertEqual(theirs.user_id, self.manager, "Sales Administrators may")

    def test_salespeople_cannot_change_the_lifecycle_state(self):
        mine = self._client("Mine", user_id=self.hunter.id)
        self._order(mine, user=self.hunter)
        seller = self._settings_user("hw_seller")
        mine_too = self._client("Mine too", user_id=seller.id)
        seller_all = self._settings_user("hw_seller_all", "sales_team.group_sale_salesman_all_leads")
        for user, client in (
            (self.hunter, mine),
            (seller, mine_too),
            (self.farmer, mine),
            (seller_all, mine),
        ):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "lifecycle state"):
                self._confirm(user, client, user_id=self.hunter_2.id, to_state="regular")
        self.assertEqual((mine | mine_too).mapped("sales_lifecycle_state"), ["new", "prospect"])
        self.assertFalse((mine | mine_too).handover_ids)
        # keeping the state is no change
        self._confirm(self.hunter, mine, user_id=self.hunter_2.id, to_state="new")
        self.assertEqual(mine.user_id, self.hunter_2)
        self._confirm(self.manager, mine, user_id=self.farmer.id, to_state="regular")
        self.assertEqual(mine.sales_lifecycle_state, "regular")

    def test_form_shows_the_new_state_to_administrators_only(self):
        client = self._client("Form", user_id=self.hunter.id)
        self.assertNotIn("to_state", self._wizard_view_fields(self.hunter, client))
        self.assertNotIn("to_state", self._wizard_view_fields(self.farmer, client))
        self.assertIn("to_state", self._wizard_view_fields(self.manager, client))

    def _wizard_view_fields(self, user, clients):
        context = {"active_model": "res.partner", "active_ids": clients.ids}
        return Form(self.env["sales.handover.wizard"].with_user(user).with_context(**context))._view["fields"]

    def test_new_owner_is_an_active_internal_user_of_the_clients_company(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        client = self._client("Client A", user_id=self.hunter.id, company_id=self.company.id)
        archived = new_test_user(self.env, "hw_archived", groups="sales_team.group_sale_salesman")
        archived.active = False
        portal = new_test_user(self.env, "hw_portal", groups="base.group_portal")
        outsider = new_test_user(
            self.env,
            "hw_outsider",
            groups="sales_team.group_sale_salesman",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        for user in (self.hunter, self.manager):
            for owner, message in (
                (archived, "not an active internal user"),
                (portal, "not an active internal user"),
                (outsider, "does not work for the company"),
            ):
                with (
                    self.subTest(user=user.login, owner=owner.login),
                    self.assertRaisesRegex(UserError, message),
                ):
                    self._confirm(user, client, user_id=owner.id)
        self.assertEqual(client.user_id, self.hunter)
        self.assertFalse(client.handover_ids)
        # a client shared by all companies: a user of the current company
        shared = self._client("Shared", user_id=self.hunter.id, company_id=False)
        with self.assertRaisesRegex(UserError, "does not work for the company"):
            self._confirm(self.manager, shared, user_id=outsider.id)
        self._confirm(self.hunter, shared, user_id=self.hunter_2.id)
        self.assertEqual(shared.user_id, self.hunter_2)
        # the same client in company B's hands: its users may take it
        client_b = self._client("Client B", user_id=self.hunter.id, company_id=company_b.id)
        self.manager.write({"company_ids": [Command.link(company_b.id)]})
        self.env["sales.handover.wizard"].with_user(self.manager).with_company(company_b).create(
            {"partner_ids": [Command.set(client_b.ids)], "user_id": outsider.id, "reason": "Check"}
        ).action_confirm()
        self.assertEqual(client_b.user_id, outsider)
