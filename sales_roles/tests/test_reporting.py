import ast

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestDirectorOverview(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["sales.hunter.report"]

    def test_hunter_conversion(self):
        won = []
        with freeze_time("2026-01-10 09:00:00"):
            for i in range(4):
                client = self._client(f"Won {i}", user_id=self.hunter.id)
                self._order(client, user=self.hunter)
                won.append(client)
            self._order(self._client("Other hunter's"), user=self.hunter_2)
        with freeze_time("2026-01-20 09:00:00"):
            wizard = self.env["sales.handover.wizard"].create(
                {
                    "partner_ids": [(6, 0, [won[0].id, won[1].id])],
                    "user_id": self.farmer.id,
                    "to_state": "regular",
                    "reason": "Third order reached",
                }
            )
            wizard.action_confirm()
        self.env.flush_all()
        groups = self.Report._read_group(
            [("hunter_id", "=", self.hunter.id)],
            [],
            ["__count", "handed_over_count:sum", "conversion_rate:avg", "days_to_handover:avg"],
        )
        self.assertEqual(groups, [(4, 2, 50.0, 10.0)])
        row = self.Report.search([("partner_id", "=", won[0].id)])
        self.assertEqual(row.user_id, self.farmer)
        self.assertEqual(row.sales_lifecycle_state, "regular")

    def _hand_over(self, client, user, to_state=False, as_user=None):
        self.env["sales.handover.wizard"].with_user(as_user or self.env.user).create(
            {
                "partner_ids": [Command.set(client.ids)],
                "user_id": user.id,
                "to_state": to_state,
                "reason": "Check",
            }
        ).action_confirm()

    def test_only_new_to_regular_or_key_is_a_conversion(self):
        with freeze_time("2026-01-10 09:00:00"):
            won = [self._client(f"Won {i}", user_id=self.hunter.id) for i in range(5)]
            for client in won:
                self._order(client, user=self.hunter)
        with freeze_time("2026-01-20 09:00:00"):
            self._hand_over(won[0], self.hunter_2)  # to another hunter, still a new client
            self._hand_over(won[1], self.farmer, "dormant")
            self._hand_over(won[2], self.farmer, "regular")
            self._hand_over(won[3], self.farmer, "key")
            # The hunter cannot log a conversion of his own client to himself.
            for owner in (self.hunter, self.hunter_2):
                with self.assertRaises(AccessError):
                    self._hand_over(won[4], owner, "regular", as_user=self.hunter)
        self.env.flush_all()
        rows = self.Report.search([("partner_id", "in", [client.id for client in won])])
        converted = rows.filtered("handed_over_count").partner_id
        self.assertEqual(converted, won[2] | won[3])
        self.assertEqual(sum(rows.mapped("handed_over_count")), 2)

    def test_own_documents_salesman_sees_own_conversion(self):
        mine = self._client("Mine", user_id=self.hunter.id)
        self._order(mine, user=self.hunter)
        theirs = self._client("Theirs", user_id=self.hunter_2.id)
        self._order(theirs, user=self.hunter_2)
        self.env.flush_all()
        visible = self.Report.with_user(self.hunter).search([("partner_id", "in", (mine | theirs).ids)])
        self.assertEqual(visible.partner_id, mine)
        everything = self.Report.with_user(self.farmer).search([("partner_id", "in", (mine | theirs).ids)])
        self.assertEqual(everything.partner_id, mine | theirs, "all-documents users see every hunter")

    def test_lifecycle_analysis_counts_clients_per_owner(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_roles.res_partner_action_lifecycle_analysis"
        )
        for state in ("new", "new", "regular", "dormant"):
            self._client(f"{state} client", user_id=self.farmer.id, sales_lifecycle_state=state)
        self.env["res.partner"].create({"name": "A contact", "parent_id": self._client("Parent").id})
        counts = dict(
            self.env["res.partner"]._read_group(
                ast.literal_eval(action["domain"]) + [("user_id", "=", self.farmer.id)],
                ["sales_lifecycle_state"],
                ["__count"],
            )
        )
        self.assertEqual(counts, {"new": 2, "regular": 1, "dormant": 1})
