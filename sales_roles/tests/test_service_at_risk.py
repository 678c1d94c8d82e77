"""Purchase rhythm and at-risk clients (issue 13, item 4)."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .service_common import ServiceCase


@tagged("post_install", "-at_install")
class TestPurchaseRhythm(ServiceCase):
    def _client_ordering(self, name, days, state="regular", owner=None):
        """A client with confirmed orders on these days of 2026 (day 1 = January 1st, 10:00)."""
        client = self._client(name, user_id=(owner or self.manager_farmer).id, sales_lifecycle_state=state)
        for day in days:
            self._order_on(client, self._at("2026-01-01 10:00:00") + timedelta(days=day - 1))
        return client

    def test_rhythm_needs_three_orders(self):
        two = self._client_ordering("Two Orders", [1, 11])
        three = self._client_ordering("Three Orders", [1, 11, 31])  # gaps 10 and 20
        many = self._client_ordering("Many Orders", [1, 13, 25, 37, 49, 90])  # 12, 12, 12, 12, 41
        same_day = self._client_ordering("Same Day Buyer", [1, 1, 1, 8])  # 0, 0, 7
        with freeze_time("2026-04-01 10:00:00"):
            self._refresh()
        self.assertEqual(two.purchase_interval_days, 0)
        self.assertEqual(three.purchase_interval_days, 15)
        self.assertEqual(many.purchase_interval_days, 12)
        self.assertEqual(same_day.purchase_interval_days, 0, "the median of 0, 0 and 7")

    def test_last_order_and_12_months_sales_are_kept_on_the_client(self):
        client = self._regular_client("Steady Buyer")
        contact = self.env["res.partner"].create({"name": "Stan Steady", "parent_id": client.id})
        self._order_on(client, "2025-02-28 10:00:00", amount=1000.0)  # 13 months before: not counted
        self._order_on(client, "2025-10-01 10:00:00", amount=100.0)
        self._order_on(contact, "2026-03-01 10:00:00", amount=200.0)  # through the contact
        self._order(client, amount=400.0, date=self._at("2026-03-05 10:00:00"))._action_cancel()
        self._order(client, amount=800.0, confirm=False)  # a quotation
        with freeze_time("2026-03-31 10:00:00"):
            self._refresh()
        for partner in (client, contact):
            self.assertEqual(partner.sales_12_months, 300.0)
            self.assertEqual(partner.last_order_date, self._at("2026-03-01 10:00:00"))
        # A confirmation refreshes the client's figures before the transaction commits.
        with freeze_time("2026-04-02 10:00:00"):
            self._order(client, amount=50.0)
            self._commit_touches()
        self.assertEqual(client.sales_12_months, 350.0)
        self.assertEqual(client.last_order_date, self._at("2026-04-02 10:00:00"))
        # A year on, the nightly refresh lets the old orders go.
        with freeze_time("2027-03-15 10:00:00"):
            self._refresh()
        self.assertEqual(client.sales_12_months, 50.0)

    def test_rhythm_reads_the_look_back_months_only(self):
        client = self._regular_client("Old Habits")
        for when in (
            "2025-02-01",
            "2025-02-03",
            "2025-02-05",
            "2025-02-07",
            "2026-01-01",
            "2026-01-31",
            "2026-03-02",
        ):
            self._order_on(client, f"{when} 10:00:00")
        with freeze_time("2026-03-10 10:00:00"):
            self._refresh()
            self.assertEqual(client.purchase_interval_days, 30, "12 months: 2026's orders, every 30 days")
            self.env["ir.config_parameter"].set_param("sales_roles.service_lookback_months", "24")
            self._refresh()
            self.assertEqual(client.purchase_interval_days, 16, "24 months: 2, 2, 2, 328, 30, 30")

    def test_rhythm_of_a_client_buying_through_its_contacts(self):
        client = self._regular_client("Branches Inc")
        branch = self.env["res.partner"].create(
            {"name": "Branch", "parent_id": client.id, "type": "delivery"}
        )
        for day, buyer in ((1, client), (5, branch), (9, branch)):
            self._order_on(buyer, self._at("2026-01-01 10:00:00") + timedelta(days=day - 1))
        cancelled = self._order_on(client, "2026-01-03 10:00:00")
        cancelled._action_cancel()
        self._refresh("2026-01-20 10:00:00")
        self.assertEqual(client.purchase_interval_days, 4)
        self.assertEqual(branch.purchase_interval_days, 4)


@tagged("post_install", "-at_install")
class TestAtRisk(ServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Orders every 12 days, the last on January 25th, 10:00.
        cls.client = cls._regular_client("Clockwork Builders")
        for day in (1, 13, 25):
            cls._order_on(cls.client, f"2026-01-{day:02d} 10:00:00")

    def _run(self, when):
        with freeze_time(when):
            return self.Standard._cron_service_standards()

    def test_raised_with_a_note_and_a_to_do_then_cleared_by_an_order(self):
        self._run("2026-02-18 10:00:00")  # 24 days: exactly twice the rhythm, not more
        self.assertFalse(self.client.at_risk)
        self._run("2026-02-25 10:00:00")  # 31 days
        self.assertTrue(self.client.at_risk)
        self.assertEqual(str(self.client.at_risk_since), "2026-02-25")
        note = self.client.message_ids.filtered(lambda m: "at risk" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Usually orders every 12 days; last order 31 days ago", note.body)
        self.assertEqual(note.message_type, "notification")
        todo = self.client.activity_ids.filtered(lambda a: a.activity_type_id == self.todo)
        self.assertEqual(todo.user_id, self.manager_farmer)
        self.assertEqual(todo.summary, "Client at risk: win it back")
        self.assertEqual(str(todo.date_deadline), "2026-02-25")
        # The note is not a touch; the next runs change nothing.
        self.assertEqual(str(self.client.last_touch_date), "2026-01-25 10:00:00")
        self._run("2026-02-26 10:00:00")
        self.assertEqual(str(self.client.at_risk_since), "2026-02-25")
        self.assertEqual(len(self.client.message_ids.filtered(lambda m: "at risk" in (m.body or ""))), 1)
        self.assertEqual(len(self.client.activity_ids.filtered(lambda a: a.activity_type_id == self.todo)), 1)
        # It orders again: cleared at once, not the next night.
        with freeze_time("2026-02-27 09:00:00"):
            self._order(self.client, user=self.manager_farmer)
            self._commit_touches()
        self.assertFalse(self.client.at_risk)
        self.assertFalse(self.client.at_risk_since)

    def test_contacts_show_the_flag(self):
        contact = self.env["res.partner"].create({"name": "Carl Clockwork", "parent_id": self.client.id})
        self._run("2026-02-25 10:00:00")
        self.assertTrue(contact.at_risk)
        self.assertEqual(contact.at_risk_since, self.client.at_risk_since)

    def test_only_regular_clients_and_key_accounts(self):
        for state, at_risk in (("key", True), ("new", False), ("dormant", False)):
            with self.subTest(state=state):
                self.client.at_risk = False
                self.client.sales_lifecycle_state = state
                self._run("2026-02-25 10:00:00")
                self.assertEqual(self.client.at_risk, at_risk)

    def test_a_client_without_rhythm_is_never_at_risk(self):
        once = self._regular_client("One-off Buyer")
        self._order_on(once, "2025-06-01 10:00:00")
        self._order_on(once, "2025-06-05 10:00:00")
        self._run("2026-02-25 10:00:00")
        self.assertEqual(once.purchase_interval_days, 0)
        self.assertFalse(once.at_risk)

    def test_the_factor_setting(self):
        self.env["ir.config_parameter"].set_param("sales_roles.at_risk_factor", "3")
        self._run("2026-02-25 10:00:00")
        self.assertFalse(self.client.at_risk, "31 days is less than 3 x 12")
        self._run("2026-03-04 10:00:00")
        self.assertTrue(self.client.at_risk, "38 days is more than 3 x 12")

    def test_a_mistyped_setting_falls_back_to_the_default(self):
        self.env["ir.config_parameter"].set_param("sales_roles.at_risk_factor", "two")
        self.env["ir.config_parameter"].set_param("sales_roles.service_lookback_months", "0")
        with self.assertLogs("odoo.addons.sales_roles.models.sales_service_engine", "WARNING") as logs:
            self._run("2026-02-25 10:00:00")
        self.assertTrue(self.client.at_risk, "with the default factor 2 and 12 months")
        self.assertTrue(any("at_risk_factor = 'two'" in line for line in logs.output))
        self.assertTrue(any("service_lookback_months = 0" in line for line in logs.output))

    def test_the_owners_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.manager_farmer.lang = "ru_RU"
        self.env.ref("base.module_sales_roles")._update_translations(["ru_RU"])
        self._run("2026-02-25 10:00:00")
        todo = self.client.activity_ids.filtered(lambda a: a.activity_type_id == self.todo)
        self.assertNotEqual(todo.summary, "Client at risk: win it back")
