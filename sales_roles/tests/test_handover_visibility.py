"""Who reads which handovers (issue 11, item 3): "own documents" salespeople
those of the clients they own, owned or hunted; "all documents" users and
administrators all of their companies'."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHandoverVisibility(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._settings_user("hv_seller")
        cls.seller_all = cls._settings_user("hv_seller_all", "sales_team.group_sale_salesman_all_leads")
        cls.outsider = cls._settings_user("hv_outsider")
        cls.stranger = new_test_user(cls.env, "hv_stranger", groups="sales_team.group_sale_salesman")
        # hunted by the hunter, then handed to a farmer
        cls.hunted = cls._client("Hunted", user_id=cls.hunter.id)
        cls._order(cls.hunted, user=cls.hunter)
        cls._hand_over(cls.hunted, cls.farmer)
        # owned by the seller for a while: hunter_2 -> seller -> farmer
        cls.once_owned = cls._client("Once Owned", user_id=cls.hunter_2.id)
        cls._hand_over(cls.once_owned, cls.seller)
        cls._hand_over(cls.once_owned, cls.farmer)
        # owned by the seller now, though no handover names him
        cls.owned = cls._client("Owned", user_id=cls.hunter_2.id)
        cls._hand_over(cls.owned, cls.farmer)
        cls.owned.user_id = cls.seller
        # somebody else's
        cls.foreign = cls._client("Foreign", user_id=cls.hunter_2.id)
        cls._hand_over(cls.foreign, cls.farmer)
        cls.clients = cls.hunted | cls.once_owned | cls.owned | cls.foreign

    @classmethod
    def _hand_over(cls, client, user):
        cls.env["sales.handover.wizard"].create(
            {"partner_ids": [Command.set(client.ids)], "user_id": user.id, "reason": "Setup"}
        ).action_confirm()

    def _visible_clients(self, user):
        handovers = (
            self.env["sales.handover"].with_user(user).search([("partner_id", "in", self.clients.ids)])
        )
        return handovers.partner_id

    def test_own_documents_salespeople_read_their_clients_handovers(self):
        self.assertEqual(self._visible_clients(self.hunter), self.hunted, "hunted")
        self.assertEqual(self._visible_clients(self.seller), self.once_owned | self.owned, "owned, owns")
        self.assertEqual(self._visible_clients(self.hunter_2), self.once_owned | self.owned | self.foreign)
        self.assertFalse(self._visible_clients(self.outsider))
        self.assertFalse(self._visible_clients(self.stranger))
        # all the handovers of a client once owned, not only those naming the seller
        seen = (
            self.env["sales.handover"]
            .with_user(self.seller)
            .search([("partner_id", "=", self.once_owned.id)])
        )
        self.assertEqual(len(seen), 2)
        with self.assertRaises(AccessError):
            self.foreign.handover_ids.with_user(self.seller).read(["sales_total", "order_count"])

    def test_all_documents_users_and_administrators_read_all(self):
        for user in (self.farmer, self.seller_all, self.manager):
            with self.subTest(user=user.login):
                self.assertEqual(self._visible_clients(user), self.clients)

    def test_handover_count_follows_what_the_user_reads(self):
        for user, expected in ((self.outsider, 0), (self.seller, 1), (self.manager, 1)):
            with self.subTest(user=user.login):
                self.assertEqual(self.owned.with_user(user).handover_count, expected)
        action = self.foreign.with_user(self.seller).action_view_handovers()
        self.assertFalse(self.env["sales.handover"].with_user(self.seller).search(action["domain"]))
        contact = self.env["res.partner"].create({"name": "Contact", "parent_id": self.hunted.id})
        self.assertEqual(contact.with_user(self.hunter).handover_count, 1)

    def test_other_companies_handovers_stay_hidden(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        farmer_b = new_test_user(
            self.env,
            "hv_farmer_b",
            groups="sales_team.group_sale_salesman",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        client_b = self._client("Client B", user_id=self.hunter.id, company_id=company_b.id)
        self.env["sales.handover.wizard"].with_company(company_b).create(
            {"partner_ids": [Command.set(client_b.ids)], "user_id": farmer_b.id, "reason": "Setup"}
        ).action_confirm()
        self.assertEqual(client_b.handover_ids.company_id, company_b)
        for user in (self.hunter, self.farmer, self.manager):
            with self.subTest(user=user.login):
                self.assertFalse(
                    self.env["sales.handover"].with_user(user).search([("partner_id", "=", client_b.id)])
                )
