from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .targets_common import TargetCase


@tagged("post_install", "-at_install")
class TestTargetTasks(TargetCase):
    """Tasks from the second boss: the salesperson's clients to win back or to
    cross-sell to, one activity each, counted on the target."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.target = cls._target(
            product_categ_ids=[Command.set(cls.building.ids)],
            date_from=date(2025, 7, 1),
            date_to=date(2025, 9, 30),
            as_user=cls.pm,
        )
        now = datetime(2025, 7, 15, 12, 0)
        Partner = cls.env["res.partner"]
        # Lapsed: bought building materials 8 months ago.
        cls.lapsed = cls.client_msk
        cls._sell(cls.lapsed, [(cls.brick, 100.0)], date=now - timedelta(days=240))
        # Bought building materials lately, through one of its contacts.
        cls.recent = cls.client_spb
        contact = Partner.create({"name": "Neva buyer", "parent_id": cls.recent.id})
        cls._sell(contact, [(cls.brick, 100.0)], date=now - timedelta(days=240))
        cls._sell(contact, [(cls.cement, 100.0)], date=now - timedelta(days=30))
        # Only tools: a cross-sell, as a client that never bought.
        cls.tools_only = cls.client_fr
        cls._sell(cls.tools_only, [(cls.hammer, 100.0)], date=now - timedelta(days=400))
        cls.never = cls._client("Never Bought", user_id=cls.hunter.id)
        # Not the hunter's: another owner, a cancelled purchase elsewhere.
        cls.others = cls._client("Someone Else's", user_id=cls.hunter_2.id)
        cls._sell(cls.others, [(cls.brick, 100.0)], user=cls.hunter_2, date=now - timedelta(days=240))
        cls.call = cls.env.ref("mail.mail_activity_data_call")

    def _clients(self, kind, months=6, target=None, user=None):
        with freeze_time("2025-07-15 12:00"):
            form = Form(
                self.env["sales.target.task.wizard"]
                .with_user(user or self.pm)
                .with_context(default_target_id=(target or self.target).id)
            )
            form.kind = kind
            if kind == "lapsed":
                form.months = months
            return form.save()

    def test_client_lists(self):
        self.assertEqual(self._clients("lapsed").partner_ids, self.lapsed)
        self.assertEqual(self._clients("lapsed", months=9).partner_ids, self.env["res.partner"])
        self.assertEqual(self._clients("cross_sell").partner_ids, self.tools_only | self.never)
        # In a territory: only the salesperson's clients there.
        self.target.territory_id = self.region
        self.assertEqual(self._clients("cross_sell").partner_ids, self.env["res.partner"])
        self.assertEqual(self._clients("lapsed").partner_ids, self.lapsed)
        self.target.territory_id = self.petersburg
        self.assertFalse(self._clients("lapsed").partner_ids)

    def test_schedule_and_follow_the_tasks(self):
        wizard = self._clients("cross_sell")
        self.assertEqual(wizard.summary, "Cross-sell: Building Materials")
        wizard.write({"activity_type_id": self.call.id, "note": "<p>Offer the new cement</p>"})
        wizard.action_schedule()
        tasks = self.target.task_ids
        self.assertEqual(tasks.partner_id, self.tools_only | self.never)
        self.assertEqual(set(tasks.mapped("state")), {"open"})
        activities = tasks.activity_id
        self.assertEqual(activities.user_id, self.hunter)
        self.assertEqual(activities.activity_type_id, self.call)
        self.assertEqual(activities.create_uid, self.pm, "assigned by the product manager")
        self.assertEqual(set(activities.mapped("res_model")), {"res.partner"})
        self.assertIn("Offer the new cement", str(activities[0].note))
        self.assertEqual((self.target.task_open_count, self.target.task_done_count), (2, 0))
        # The salesperson sees them among their activities and on the target, told once.
        mine = self.env["mail.activity"].with_user(self.hunter).search([("user_id", "=", self.hunter.id)])
        self.assertLessEqual(activities, mine)
        self.assertEqual(self.target.with_user(self.hunter).task_ids, tasks)
        note = self.target.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(note), 1)
        self.assertIn(self.hunter.partner_id, note.notified_partner_ids)
        # Listed clients are not listed again while their task is open.
        self.assertFalse(self._clients("cross_sell").partner_ids)

        # Done: Odoo deletes the activity of a call...
        first, second = tasks.sorted("partner_id")
        first.activity_id.with_user(self.hunter).action_feedback("Interested")
        self.assertEqual(first.state, "done")
        self.assertEqual(first.date_done, fields.Date.context_today(first.with_user(self.hunter)))
        self.assertFalse(first.activity_id)
        # ... rescheduled, then cancelled by the salesperson.
        second.activity_id.with_user(self.hunter).date_deadline = date(2025, 8, 1)
        self.assertEqual(second.date_deadline, date(2025, 8, 1))
        second.activity_id.with_user(self.hunter).unlink()
        self.assertEqual(second.state, "cancelled")
        self.target.invalidate_recordset()
        self.assertEqual((self.target.task_open_count, self.target.task_done_count), (0, 1))

    def test_done_activities_kept_by_their_type_count_too(self):
        self.call.keep_done = True
        wizard = self._clients("lapsed")
        wizard.activity_type_id = self.call
        wizard.action_schedule()
        task = self.target.task_ids
        task.activity_id.with_user(self.hunter).action_feedback()
        self.assertEqual(task.state, "done")
        self.assertFalse(task.activity_id.active, "archived, not deleted")
        self.assertEqual(self.target.task_done_count, 1)

    def test_manager_cancels_open_tasks(self):
        self._clients("cross_sell").action_schedule()
        tasks = self.target.task_ids
        tasks.with_user(self.pm).action_cancel()
        self.assertEqual(set(tasks.mapped("state")), {"cancelled"})
        self.assertFalse(tasks.activity_id)

    def test_who_may_schedule(self):
        wizard = self._clients("cross_sell")
        with self.assertRaises(AccessError, msg="a manager of other products does not even list the clients"):
            self._clients("cross_sell", user=self.pm_tools)
        with self.assertRaises(AccessError):
            wizard.with_user(self.hunter).action_schedule()
        with self.assertRaises(AccessError):
            self._clients("cross_sell", user=self.hunter).action_schedule()
        # Only the salesperson's own clients.
        Task = self.env["sales.target.task"].with_user(self.pm)
        with self.assertRaisesRegex(UserError, "own clients"):
            Task._schedule(self.target, self.others, "cross_sell", self.call, "Call", date(2025, 8, 1))
        with self.assertRaisesRegex(UserError, "at least one client"):
            self._clients("lapsed", months=9).action_schedule()
        self._clients("cross_sell", user=self.manager).action_schedule()
        self.assertEqual(len(self.target.task_ids), 2)
        with self.assertRaises(AccessError):
            self.target.task_ids.with_user(self.hunter).action_cancel()
