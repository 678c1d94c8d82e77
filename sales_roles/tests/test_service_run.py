"""The daily service job (issue 13, items 3 and 8): touchpoints scheduled once,
set-based, in batches that one bad record does not stop; multi-company."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .service_common import ServiceCase


@tagged("post_install", "-at_install")
class TestTouchpoints(ServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-01-01 10:00:00"):
            cls.overdue = cls._regular_client("Overdue Oaks")
            cls._order(cls.overdue)
        with freeze_time("2026-01-28 10:00:00"):
            cls.due = cls._regular_client("Due Dunes")
            cls._order(cls.due)
        with freeze_time("2026-02-10 10:00:00"):
            cls.fine = cls._regular_client("Fine Firs")
            cls._order(cls.fine)
        cls.unowned = cls._client("Nobody's Nursery", sales_lifecycle_state="regular")

    def _run(self, when="2026-02-25 10:00:00"):
        with freeze_time(when):
            return self.Standard._cron_service_standards()

    def _touchpoints(self, clients):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", clients.ids),
                ("activity_type_id", "=", self.call.id),
            ]
        )

    def test_one_touchpoint_per_due_or_overdue_client_for_its_owner(self):
        self._run()
        touchpoints = self._touchpoints(self.overdue | self.due | self.fine | self.unowned)
        self.assertEqual(
            {(a.res_id, a.user_id, str(a.date_deadline)) for a in touchpoints},
            {
                (self.overdue.id, self.manager_farmer, "2026-01-31"),
                (self.due.id, self.manager_farmer, "2026-02-27"),
            },
        )
        self.assertEqual(set(touchpoints.mapped("summary")), {"Touchpoint: Regular clients: every 30 days"})
        self.assertIn("every 30 days", touchpoints[0].note)
        self.assertIn(self.manager_farmer.partner_id, self.overdue.message_partner_ids, "the owner follows")
        # The farmer sees them in their activities.
        mine = (
            self.env["mail.activity"]
            .with_user(self.manager_farmer)
            .search([("user_id", "=", self.manager_farmer.id)])
        )
        self.assertEqual(mine, touchpoints)

    def test_run_twice_schedules_nothing_twice(self):
        self._run()
        first = self._touchpoints(self.overdue | self.due)
        self._run("2026-02-26 10:00:00")
        self.assertEqual(self._touchpoints(self.overdue | self.due), first)

    def test_an_open_call_on_a_contact_is_enough_another_type_is_not(self):
        contact = self.env["res.partner"].create({"name": "Olga Oaks", "parent_id": self.overdue.id})
        contact.activity_schedule("mail.mail_activity_data_call", user_id=self.farmer.id)
        self.due.activity_schedule("mail.mail_activity_data_meeting", user_id=self.manager_farmer.id)
        self._run()
        self.assertFalse(self._touchpoints(self.overdue))
        self.assertEqual(len(self._touchpoints(self.due)), 1)

    def test_marking_the_touchpoint_done_makes_the_client_ok_at_once(self):
        self._run()
        touchpoint = self._touchpoints(self.overdue)
        with freeze_time("2026-02-25 16:00:00"):
            touchpoint.with_user(self.manager_farmer).action_feedback(feedback="Ordering again in March")
            self._commit_touches()
        self.assertEqual(self._status(self.overdue), ("ok", "2026-03-27"))
        self._run("2026-02-26 10:00:00")
        self.assertFalse(self._touchpoints(self.overdue), "no new touchpoint the next day")

    def test_a_client_that_fails_is_skipped(self):
        # Another module's database constraint refuses an activity on this client.
        self.env.cr.execute(
            "ALTER TABLE mail_activity ADD CONSTRAINT sales_roles_test_refuse "
            "CHECK (res_id <> %s OR res_model <> 'res.partner')" % int(self.overdue.id)
        )
        with self.assertLogs("odoo.addons.sales_roles.models.sales_service_engine", "WARNING") as logs:
            result = self._run()
        self.assertEqual(result["touchpoints"], 1)
        self.assertEqual(len(self._touchpoints(self.due)), 1, "the others get theirs")
        self.assertFalse(self._touchpoints(self.overdue))
        self.assertTrue(any(str(self.overdue.id) in line for line in logs.output))

    def test_progress_is_reported_to_the_scheduled_action(self):
        cron, progress = self.cron._add_progress()
        with freeze_time("2026-02-25 10:00:00"):
            self.Standard.with_context(**cron.env.context)._cron_service_standards()
        self.assertEqual((progress.done, progress.remaining), (2, 0))


@tagged("post_install", "-at_install")
class TestServiceRunQueries(ServiceCase):
    """A constant number of queries, whatever the number of clients."""

    def _clients(self, count, prefix):
        clients = self.env["res.partner"]
        for i in range(count):
            with freeze_time("2026-01-01 10:00:00"):
                client = self._regular_client(f"{prefix} {i}")
            for day in (1, 13, 25):  # every 12 days: at risk in late February
                self._order_on(client, f"2026-01-{day:02d} 10:00:00")
            clients |= client
        return clients

    def test_query_count_does_not_grow_with_the_clients(self):
        # The first round fills Odoo's caches (xml ids, defaults, subtypes).
        for count, prefix, queries in ((2, "Warm-up", None), (3, "Small", 44), (12, "Large", 44)):
            clients = self._clients(count, prefix)
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time("2026-02-25 10:00:00"), self.assertQueryCount(__system__=queries or 1000):
                result = self.Standard._cron_service_standards()
            self.assertEqual(result, {"raised": count, "touchpoints": count})
            self.assertTrue(all(clients.mapped("at_risk")))
            # Undone for the next size: the same work again.
            (self.env["mail.activity"].search([("res_id", "in", clients.ids)])).unlink()
            clients.write({"active": False})


@tagged("post_install", "-at_install")
class TestServiceMultiCompany(ServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Second Wholesale"})
        cls.farmer_b = new_test_user(
            cls.env,
            "sv_farmer_b",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.standard_b = cls.Standard.create(
            {
                "name": "B's regulars: every 7 days",
                "lifecycle_state": "regular",
                "contact_interval_days": 7,
                "lead_days": 1,
                "company_id": cls.company_b.id,
            }
        )

    def test_each_company_its_own_standards(self):
        client_a = self._regular_client("A's Client", company_id=self.company.id)
        client_b = self._regular_client("B's Client", owner=self.farmer_b, company_id=self.company_b.id)
        shared_b = self._regular_client("Shared, buys from B", owner=self.farmer_b)
        shared_owned_b = self._regular_client("Shared, owned in B", owner=self.farmer_b)
        order = self._order(shared_b, confirm=False, company_id=self.company_b.id, user=self.farmer_b)
        order.with_company(self.company_b).action_confirm()
        self._refresh()
        self.assertEqual(client_a.service_standard_id, self.regular_standard)
        self.assertEqual(client_b.service_standard_id, self.standard_b)
        self.assertEqual(shared_b.service_standard_id, self.standard_b, "the company of its last order")
        self.assertEqual(shared_owned_b.service_standard_id, self.standard_b, "else its owner's company")
        # Each company reads its own standards only.
        Standard_b = self.Standard.with_user(self.farmer_b).with_context(
            allowed_company_ids=self.company_b.ids
        )
        self.assertEqual(Standard_b.search([]), self.standard_b)


@tagged("post_install", "-at_install")
class TestServiceSettings(ServiceCase):
    def _triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

    def test_settings_switch_the_daily_job_and_validate_their_values(self):
        self.env["res.config.settings"].create({"sales_roles_service_standards": False}).execute()
        self.assertFalse(self.cron.active)
        self.env["res.config.settings"].create({"sales_roles_service_standards": True}).execute()
        self.assertTrue(self.cron.active)
        self.assertTrue(self._triggers(), "switched on: the clients are computed soon")
        for values in (
            {"sales_roles_at_risk_factor": 1.0},
            {"sales_roles_at_risk_factor": 25.0},
            {"sales_roles_service_lookback_months": 0},
            {"sales_roles_service_lookback_months": 240},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.env["res.config.settings"].create(values)
        self.env["res.config.settings"].create(
            {"sales_roles_at_risk_factor": 3.0, "sales_roles_service_lookback_months": 6}
        ).execute()
        self.assertEqual(self.Engine._service_settings(), (3.0, 6))

    def test_standards_are_validated_and_recompute_the_clients_soon(self):
        for values in ({"lead_days": 30}, {"contact_interval_days": 0}, {"lead_days": -1}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.regular_standard.write(values)
        self._triggers().unlink()
        self.Standard.create({"name": "Dormant clients: every 60 days", "lifecycle_state": "dormant"})
        self.assertTrue(self._triggers())

    def test_the_default_touchpoint_is_a_call(self):
        standard = self.Standard.create({"name": "Key accounts", "lifecycle_state": "key"})
        self.assertEqual(
            (standard.activity_type_id, standard.contact_interval_days, standard.lead_days),
            (self.call, 30, 3),
        )
