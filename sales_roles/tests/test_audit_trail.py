"""The handover log outlives nothing it names (issue 11, item 9): a client, an
owner or a rule with handovers is archived, not deleted."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestAuditTrail(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._settings_user("at_seller")  # may delete contacts
        cls.leaving = new_test_user(cls.env, "at_leaving", groups="sales_team.group_sale_salesman")
        # A prospect has no order to block its deletion: only its handover does.
        cls.prospect = cls._client("Handed Prospect", user_id=cls.leaving.id)
        cls.rule = cls._rule([{"criterion": "order_count", "min_count": 1}], assign_method="keep")
        cls.env["sales.handover.wizard"].create(
            {"partner_ids": [Command.set(cls.prospect.ids)], "user_id": cls.farmer.id, "reason": "Leaving"}
        ).action_confirm()
        cls.log = cls.prospect.handover_ids
        cls.log.rule_id = cls.rule  # as if the rule had moved it

    def test_the_log_restricts_deletion(self):
        Handover = self.env["sales.handover"]
        for name in ("partner_id", "from_user_id", "to_user_id", "rule_id"):
            self.assertEqual(Handover._fields[name].ondelete, "restrict", name)

    def test_client_with_handovers_is_archived_not_deleted(self):
        for user in (self.seller, self.env.user):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, "Archive them instead"):
                self.prospect.with_user(user).unlink()
        self.assertTrue(self.log.exists())
        self.prospect.with_user(self.seller).action_archive()
        self.assertFalse(self.prospect.active)
        # its contacts and clients without handovers go as before
        contact = self.env["res.partner"].create({"name": "Contact", "parent_id": self.prospect.id})
        contact.with_user(self.seller).unlink()
        self._client("Never Handed").with_user(self.seller).unlink()

    def test_rule_with_handovers_is_archived_not_deleted(self):
        with self.assertRaisesRegex(UserError, "Archive them instead"):
            self.rule.with_user(self.manager).unlink()
        self.assertEqual(self.log.rule_id, self.rule)
        self.rule.with_user(self.manager).action_archive()
        self.assertFalse(self.rule.active)
        unused = self._rule([{"criterion": "order_count", "min_count": 1}], assign_method="keep")
        unused.with_user(self.manager).unlink()

    def test_owner_named_by_the_log_is_archived_not_deleted(self):
        for user in (self.leaving, self.farmer):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, "Archive them instead"):
                user.unlink()
        self.assertEqual((self.log.from_user_id, self.log.to_user_id), (self.leaving, self.farmer))
        self.leaving.action_archive()
        self.assertFalse(self.leaving.active)
        self.assertEqual(self.log.from_user_id, self.leaving, "the log keeps naming them")
        new_test_user(self.env, "at_unnamed", groups="sales_team.group_sale_salesman").unlink()
