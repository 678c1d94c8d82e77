"""Touches and service status (issue 13, item 2): what counts as a touch, the
status at the boundaries of the standard, contacts, and the refresh at once
after a touch."""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .service_common import ServiceCase


@tagged("post_install", "-at_install")
class TestServiceStatus(ServiceCase):
    def test_interval_boundaries(self):
        with freeze_time("2026-01-01 10:00:00"):
            client = self._regular_client("Boundary Supply")
            self._order(client)
        expected = {
            "2026-01-27 23:00:00": ("ok", "2026-01-31"),  # 4 days before: not yet due
            "2026-01-28 00:30:00": ("due", "2026-01-31"),  # 3 days ahead: due
            "2026-01-31 08:00:00": ("due", "2026-01-31"),  # the interval exactly reached: still due
            "2026-02-01 00:00:01": ("overdue", "2026-01-31"),  # the day after: overdue
        }
        for when, status in expected.items():
            with self.subTest(when=when), freeze_time(when):
                self._refresh()
                self.assertEqual(self._status(client), status)
        self.assertEqual(client.service_standard_id, self.regular_standard)
        self.assertEqual(str(client.last_touch_date), "2026-01-01 10:00:00")

    def test_never_touched_is_due_today(self):
        client = self._regular_client("Silent Supply")
        with freeze_time("2026-03-10 09:00:00"):
            self._refresh()
        self.assertEqual(self._status(client), ("due", "2026-03-10"))
        self.assertFalse(client.last_touch_date)

    def test_contacts_show_their_client(self):
        client = self._regular_client("Family Business")
        contact = self.env["res.partner"].create({"name": "Fred Family", "parent_id": client.id})
        archived = self.env["res.partner"].create(
            {"name": "Old Contact", "parent_id": client.id, "active": False}
        )
        with freeze_time("2026-01-05 10:00:00"):
            self._order(contact)
        with freeze_time("2026-01-10 10:00:00"):
            self._refresh()
        for partner in client | contact | archived:
            with self.subTest(partner=partner.name):
                self.assertEqual(partner.service_standard_id, self.regular_standard)
                self.assertEqual(self._status(partner), ("ok", "2026-02-04"))
        late = self.env["res.partner"].create({"name": "Late Joiner", "parent_id": client.id})
        self.assertEqual(self._status(late), ("ok", "2026-02-04"), "a new contact shows its client's at once")

    def test_a_second_refresh_rewrites_nothing(self):
        with freeze_time("2026-01-01 10:00:00"):
            client = self._regular_client("Stable Supply")
            self._order(client)
            self._refresh()
            self.env.cr.execute("SELECT xmin FROM res_partner WHERE id = %s", [client.id])
            (version,) = self.env.cr.fetchone()
            self._refresh()
            self.env.cr.execute("SELECT xmin FROM res_partner WHERE id = %s", [client.id])
            self.assertEqual(self.env.cr.fetchone()[0], version, "the row was not rewritten")


@tagged("post_install", "-at_install")
class TestStandardMatching(ServiceCase):
    def test_first_active_standard_of_its_state_team_and_company(self):
        team = self.env["crm.team"].create({"name": "Partners Desk"})
        partners_standard = self.Standard.create(
            {
                "name": "Partner accounts: every 10 days",
                "lifecycle_state": "regular",
                "team_ids": [Command.set(team.ids)],
                "contact_interval_days": 10,
                "lead_days": 2,
                "sequence": 1,
            }
        )
        key_standard = self.Standard.create(
            {"name": "Key accounts", "lifecycle_state": "key", "contact_interval_days": 14}
        )
        other_company = self.env["res.company"].create({"name": "Other Wholesale"})
        self.Standard.create(
            {
                "name": "Other company's regulars",
                "lifecycle_state": "regular",
                "contact_interval_days": 7,
                "sequence": 0,
                "company_id": other_company.id,
            }
        )
        plain = self._regular_client("Plain Regular")
        of_team = self._regular_client("Team Regular", team_id=team.id)
        key = self._client("Key Buyer", user_id=self.farmer.id, sales_lifecycle_state="key")
        new = self._client("New Buyer", user_id=self.hunter.id, sales_lifecycle_state="new")
        archived = self._regular_client("Gone Regular", active=False)
        of_company = self._regular_client("Company Regular", company_id=self.company.id)
        self._refresh()
        self.assertEqual(plain.service_standard_id, self.regular_standard)
        self.assertEqual(of_team.service_standard_id, partners_standard, "first by sequence")
        self.assertEqual(key.service_standard_id, key_standard)
        self.assertEqual(of_company.service_standard_id, self.regular_standard)
        for client in new | archived:
            self.assertFalse(client.service_standard_id)
            self.assertEqual(client.service_status, "none")
        self.regular_standard.active = False
        self._refresh()
        self.assertFalse(plain.service_standard_id, "an archived standard applies to nobody")
        self.assertEqual((plain.service_status, plain.next_touch_date), ("none", False))

    def test_a_handover_changes_the_standard_at_once(self):
        key_standard = self.Standard.create(
            {"name": "Key accounts", "lifecycle_state": "key", "contact_interval_days": 14}
        )
        client = self._regular_client("Growing Regular")
        self._refresh()
        self.assertEqual(client.service_standard_id, self.regular_standard)
        self.env["sales.handover.wizard"].create(
            {
                "partner_ids": [Command.set(client.ids)],
                "user_id": self.farmer.id,
                "to_state": "key",
                "reason": "Promoted",
            }
        ).action_confirm()
        self._commit_touches()
        self.assertEqual(client.service_standard_id, key_standard)


@tagged("post_install", "-at_install")
class TestTouches(ServiceCase):
    """Each kind of touch moves the last touch to its date; the others do not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-01-01 10:00:00"):
            cls.client = cls._regular_client("Touchy Trading")
            cls.contact = cls.env["res.partner"].create({"name": "Tina Touchy", "parent_id": cls.client.id})
            cls.quotation = cls._order(cls.client, confirm=False, user=cls.manager_farmer)
            cls._order(cls.client)
        cls.outsider = cls.env["res.partner"].create({"name": "Someone Else", "email": "else@example.com"})

    def _last_touch_after(self, action):
        """The client's last touch once ``action`` ran on 2026-01-20 and the
        transaction ended, with the figures refreshed as of 2026-01-01 before."""
        with freeze_time("2026-01-01 12:00:00"):
            self._refresh()
        with freeze_time("2026-01-20 15:00:00"):
            action()
            self._commit_touches()
        return str(self.client.last_touch_date)

    def _done_activity_on(self, record, user):
        activity = record.with_user(user).activity_schedule("mail.mail_activity_data_call", summary="Call")
        activity.with_user(user).action_feedback(feedback="Spoke to the buyer")

    def test_order_confirmed(self):
        self.assertEqual(
            self._last_touch_after(lambda: self.quotation.action_confirm()), "2026-01-20 15:00:00"
        )

    def test_activity_done_on_the_client_a_contact_or_an_order(self):
        for record in self.client, self.contact, self.quotation:
            with self.subTest(record=record.display_name):
                self.assertEqual(
                    self._last_touch_after(
                        lambda record=record: self._done_activity_on(record, self.manager_farmer)
                    ),
                    "2026-01-20 15:00:00",
                )
                self.assertEqual(self.client.service_status, "ok", "OK at once, not the next night")

    def test_activity_kept_done_counts_too(self):
        self.call.keep_done = True
        self.assertEqual(
            self._last_touch_after(lambda: self._done_activity_on(self.client, self.manager_farmer)),
            "2026-01-20 15:00:00",
        )

    def test_message_by_an_internal_user(self):
        def post():
            self.contact.with_user(self.manager_farmer).message_post(
                body="Sent the spring price list", message_type="comment", subtype_xmlid="mail.mt_comment"
            )

        self.assertEqual(self._last_touch_after(post), "2026-01-20 15:00:00")

    def test_note_on_an_order_by_an_internal_user(self):
        def note():
            self.quotation.with_user(self.manager_farmer).message_post(
                body="Called: they confirm next week", message_type="comment", subtype_xmlid="mail.mt_note"
            )

        self.assertEqual(self._last_touch_after(note), "2026-01-20 15:00:00")

    def test_email_from_an_internal_user(self):
        def email():
            # An e-mail the account manager sent from their mailbox, routed to the client's chatter.
            self.client.message_post(
                body="Re: delivery dates",
                message_type="email",
                author_id=self.manager_farmer.partner_id.id,
                subtype_xmlid="mail.mt_comment",
            )

        self.assertEqual(self._last_touch_after(email), "2026-01-20 15:00:00")

    def test_what_is_not_a_touch(self):
        def noise():
            client = self.client.with_user(self.manager_farmer)
            # tracking values: a change of owner and of sales team
            self.client.write({"user_id": self.farmer.id, "team_id": False})
            # an e-mail from the client itself, and a message by someone outside
            self.client.message_post(
                body="Where is my order?", message_type="email", author_id=self.contact.id
            )
            self.client.message_post(body="Hello", message_type="comment", author_id=self.outsider.id)
            # a system note (as the handover engine logs), by the system
            client.sudo()._message_log_batch(bodies={self.client.id: "Handed over by rule"})
            self.client.message_post(body="Automated reminder", message_type="comment")  # by OdooBot
            # a notification for one user
            client.message_notify(body="FYI", partner_ids=self.farmer.partner_id.ids, subject="FYI")

        self.assertEqual(self._last_touch_after(noise), "2026-01-01 10:00:00")

    def test_no_refresh_at_once_when_service_standards_are_off(self):
        self.cron.active = False
        with freeze_time("2026-01-01 12:00:00"):
            self._refresh()
        with freeze_time("2026-01-20 15:00:00"):
            self._done_activity_on(self.client, self.manager_farmer)
            self._commit_touches()
        self.assertEqual(str(self.client.last_touch_date), "2026-01-01 10:00:00")
        with freeze_time("2026-01-21 15:00:00"):
            self._refresh()
        self.assertEqual(str(self.client.last_touch_date), "2026-01-20 15:00:00", "counted by the next run")

    def test_moving_a_contact_moves_its_touches(self):
        with freeze_time("2026-01-15 09:00:00"):
            self.contact.with_user(self.manager_farmer).message_post(body="Visit", message_type="comment")
        other = self._regular_client("Other Trading")
        with freeze_time("2026-01-16 09:00:00"):
            self._refresh()
            self.assertEqual(str(self.client.last_touch_date), "2026-01-15 09:00:00")
            self.contact.parent_id = other
            self._commit_touches()
        self.assertEqual(str(self.client.last_touch_date), "2026-01-01 10:00:00")
        self.assertEqual(str(other.last_touch_date), "2026-01-15 09:00:00")
        self.assertEqual(str(self.contact.last_touch_date), "2026-01-15 09:00:00")
