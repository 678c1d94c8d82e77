from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

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
            self.farmer,
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
        with self.assertRaises(UserError):
            self._wizard(self.farmer, client, user_id=self.farmer, reason="No-op").action_confirm()
        self.assertFalse(client.handover_ids)

    def test_states_must_differ_only_for_rules(self):
        # the wizard may keep the state and change the owner only
        client = self._client("Owner only", user_id=self.hunter.id)
        self._wizard(self.manager, client, user_id=self.farmer, reason="Reorg").action_confirm()
        self.assertEqual(client.handover_ids.from_state, client.handover_ids.to_state)
        with self.assertRaises(ValidationError):
            self.env["sales.handover.rule"].create({"name": "x", "from_state": "new", "to_state": "new"})
