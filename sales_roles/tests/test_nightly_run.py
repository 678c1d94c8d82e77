"""The scheduled action must not move a client twice in one run, nor stop on one bad record."""

from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestNightlyRun(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["sales.handover.rule"]
        cls.cron = cls.env.ref("sales_roles.ir_cron_sales_handover")
        cls.farmer_2 = new_test_user(cls.env, "nr_farmer_2", groups="sales_team.group_sale_salesman")
        cls.farmers = (cls.farmer | cls.farmer_2).sorted("id")

    def _won_client(self, name, days_ago=0, orders=3):
        client = self._client(name, user_id=self.hunter.id)
        for _i in range(orders):
            self._order(client, date=fields.Datetime.now() - timedelta(days=days_ago))
        return client

    def _third_order_rule(self, **vals):
        return self._rule(
            [{"criterion": "order_count", "min_count": 3}],
            name=vals.pop("name", "After the 3rd order"),
            target_user_ids=[(6, 0, self.farmers.ids)],
            **vals,
        )

    def _dormant_rule(self, **vals):
        """Regular clients without an order for 90 days become dormant, tried after the 3rd order rule."""
        return self._rule(
            [{"criterion": "inactivity", "inactivity_days": 90}],
            name=vals.pop("name", "Dormant after 90 days"),
            sequence=2,
            from_state="regular",
            to_state="dormant",
            assign_method="keep",
            **vals,
        )

    def _call(self, created=None):
        """One call of the scheduled action, as ir.cron makes it: with a progress
        record of its own and the ``lastcall`` of the last completed run."""
        cron, progress = self.cron.with_context(lastcall=self.cron.lastcall)._add_progress()
        if created:
            progress.flush_recordset()
            self.env.cr.execute(
                "UPDATE ir_cron_progress SET create_date = %s WHERE id = %s", [created, progress.id]
            )
            progress.invalidate_recordset(["create_date"])
        self.Rule.with_context(**cron.env.context)._cron_run_handover()

    # ------------------------------------------------------------
    # One move per client per run
    # ------------------------------------------------------------

    def test_a_client_moves_once_per_run_whatever_the_number_of_calls(self):
        client = self._won_client("Quiet buyer", days_ago=100)
        self._third_order_rule(sequence=1)
        dormant = self._dormant_rule()
        self._call()
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self._call()  # ir.cron calls again while a call reported work left
        self.assertEqual(client.sales_lifecycle_state, "regular", "not made dormant by the same run")
        self.assertEqual(len(client.handover_ids), 1)
        self.assertEqual(dormant.last_run_count, 0)

        # The run completes; the next night's run starts after it.
        tomorrow = fields.Datetime.now() + timedelta(days=1)
        self.cron.lastcall = fields.Datetime.now()
        self._call(created=tomorrow)
        self.assertEqual(client.sales_lifecycle_state, "dormant", "the next run moves it again")
        self.assertEqual(len(client.handover_ids), 2)

    def test_a_run_that_began_within_the_second_of_its_handovers(self):
        # ir.cron dates a call's progress to the microsecond, handovers are dated
        # to the second: a client moved in the second the run began is of this run.
        with freeze_time("2026-06-01 10:00:00"):
            client = self._won_client("Quick buyer", days_ago=100)
            self._third_order_rule(sequence=1)
            self._dormant_rule()
            self._call(created=datetime(2026, 6, 1, 10, 0, 0, 700000))
            self.assertEqual(client.handover_ids.date, datetime(2026, 6, 1, 10, 0, 0))
            self._call()
        self.assertEqual(client.sales_lifecycle_state, "regular", "not made dormant by the same run")

    def test_the_nightly_checks_run_once_per_run(self):
        # Setting right the clients' order figures reads every order: not at each call.
        checked = []
        Partner = type(self.env["res.partner"])
        with patch.object(Partner, "_refresh_order_figures", lambda partners: checked.append(True)):
            self._call()
            self._call()  # ir.cron calls again while a call reported work left
            self.assertEqual(len(checked), 1, "the run's first call only")
            self.cron.lastcall = fields.Datetime.now()
            self._call(created=fields.Datetime.now() + timedelta(days=1))
        self.assertEqual(len(checked), 2, "and the next run's")

    def test_run_start_is_the_first_call_since_the_last_completed_run(self):
        Progress = self.env["ir.cron.progress"]
        now = fields.Datetime.now()
        self.cron.lastcall = now - timedelta(hours=20)
        created = [now - timedelta(days=1), now - timedelta(hours=2), now - timedelta(hours=1)]
        progresses = Progress.create([{"cron_id": self.cron.id} for _created in created])
        for progress, date in zip(progresses, created, strict=True):
            self.env.cr.execute(
                "UPDATE ir_cron_progress SET create_date = %s WHERE id = %s", [date, progress.id]
            )
        progresses.invalidate_recordset(["create_date"])
        Rule = self.Rule.with_context(lastcall=self.cron.lastcall, ir_cron_progress_id=progresses[-1].id)
        self.assertEqual(Rule._run_started(), created[1], "yesterday's call belongs to the last run")
        self.assertIsNone(self.Rule._run_started(), "outside the scheduled action: no run")

    def test_direct_calls_plan_afresh(self):
        # Run Now and the shell are not the nightly run: each call plans from the data as it is.
        client = self._won_client("Direct", days_ago=100)
        self._third_order_rule(sequence=1)
        self._dormant_rule(name="Dormant")
        self.Rule._cron_run_handover()
        self.Rule._cron_run_handover()
        self.assertEqual(client.sales_lifecycle_state, "dormant")

    # ------------------------------------------------------------
    # One bad record does not stop the run
    # ------------------------------------------------------------

    def test_a_client_that_fails_is_skipped_and_reported(self):
        good = [self._won_client(f"Good {i}") for i in range(3)]
        bad = self._won_client("Refused by the database")
        rule = self._third_order_rule()
        # Another module's database constraint refuses this client as a regular one.
        self.env.cr.execute(
            "ALTER TABLE res_partner ADD CONSTRAINT sales_roles_test_refuse "
            "CHECK (id <> %s OR sales_lifecycle_state <> 'regular')" % int(bad.id)
        )
        with self.assertLogs("odoo.addons.sales_roles.models.sales_handover_rule", "WARNING") as logs:
            self.Rule._cron_run_handover()
        self.assertEqual({c.sales_lifecycle_state for c in good}, {"regular"}, "the others are handed over")
        self.assertEqual((bad.sales_lifecycle_state, bad.user_id), ("new", self.hunter))
        self.assertFalse(bad.handover_ids, "nothing half-done")
        self.assertEqual(rule.last_run_count, 3)
        self.assertIn("Refused by the database", rule.last_run_message)
        self.assertIn("sales_roles_test_refuse", rule.last_run_message)
        self.assertTrue(any("Refused by the database" in line for line in logs.output))

    def test_mistyped_setting_does_not_stop_handovers(self):
        self.env["ir.config_parameter"].set_param("sales_roles.handover_activity_days", "3.5")
        client = self._won_client("Typo")
        self._third_order_rule()
        with self.assertLogs("odoo.addons.sales_roles.models.sales_handover", "WARNING"):
            self.Rule._cron_run_handover()
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertEqual(client.activity_ids.date_deadline, fields.Date.today() + timedelta(days=3))
        wizard = self.env["sales.handover.wizard"].create(
            {"partner_ids": [(6, 0, client.ids)], "user_id": self.farmer_2.id, "reason": "Typo check"}
        )
        wizard.action_confirm()
        self.assertEqual(client.user_id, self.farmer_2, "manual handovers work too")

    def test_settings_refuse_an_out_of_range_delay(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"sales_roles_handover_activity_days": -1})
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"sales_roles_handover_activity_days": 100000})

    def test_condition_left_without_products_skips_its_rule_only(self):
        product = self.env["product.product"].create({"name": "Discontinued"})
        client = self._won_client("Still buying")
        broken = self._rule(
            [{"criterion": "product_purchased", "product_ids": [(6, 0, product.ids)]}],
            name="Bought the discontinued product",
            sequence=1,
            assign_method="keep",
            to_state="key",
        )
        working = self._third_order_rule(sequence=2)
        product.unlink()
        self.Rule._cron_run_handover()
        self.assertIn("incomplete condition", broken.last_run_message)
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertEqual(working.last_run_count, 1)
