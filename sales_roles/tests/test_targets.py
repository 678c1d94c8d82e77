from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from ..models.sales_target import ACHIEVED_FIELDS
from .targets_common import TargetCase


@tagged("post_install", "-at_install")
class TestTargetAchieved(TargetCase):
    """What counts towards a target: the salesperson's confirmed lines in scope,
    dated within the period in the salesperson's days, in the company currency."""

    def _report_row(self, target):
        self.env.flush_all()
        return self.env["sales.target.report"].search([("target_id", "=", target.id)])

    def _matrix_total(self, target):
        """The Sales Matrix lines the target's button opens, summed."""
        self.env.flush_all()
        lines = self.env["sale.report"].search(target._achieved_lines_domain())
        return sum(lines.mapped("price_subtotal"))

    def test_lines_in_and_out_of_scope(self):
        march = datetime(2025, 3, 10, 12, 0)
        target = self._target(product_categ_ids=[Command.set(self.building.ids)], territory_id=self.region.id)
        # In: a child category, the category itself, a territory under the region.
        self._sell(self.client_msk, [(self.brick, 100.0), (self.cement, 50.0)], date=march)
        self._sell(self.client_spb, [(self.brick, 7.0)], date=march)
        # Out: another product line on the same order, another territory, another
        # salesperson, a cancelled order, a quotation.
        self._sell(self.client_msk, [(self.hammer, 1000.0)], date=march)
        self._sell(self.client_fr, [(self.brick, 200.0)], date=march)
        self._sell(self.client_msk, [(self.brick, 300.0)], user=self.hunter_2, date=march)
        self._sell(self.client_msk, [(self.brick, 400.0)], date=march)._action_cancel()
        self._sell(self.client_msk, [(self.brick, 500.0)], date=march, confirm=False)
        self.assertEqual(target.achieved_amount, 157.0)
        self.assertAlmostEqual(target.progress, 15.7)
        self.assertEqual(target.gap_amount, 843.0)
        self.assertEqual(self._report_row(target).achieved_amount, 157.0)
        self.assertEqual(self._matrix_total(target), 157.0, "the Achieved button opens the lines that count")

    def test_products_or_categories(self):
        march = datetime(2025, 3, 10, 12, 0)
        target = self._target(
            product_ids=[Command.set(self.hammer.ids)], product_categ_ids=[Command.set(self.bricks.ids)]
        )
        self._sell(self.client_fr, [(self.brick, 10.0), (self.hammer, 20.0), (self.cement, 40.0)], date=march)
        self.assertEqual(target.achieved_amount, 30.0)

    def test_a_product_in_two_parts_of_the_scope_counts_once(self):
        march = datetime(2025, 3, 10, 12, 0)
        target = self._target(
            product_ids=[Command.set(self.brick.ids)],
            product_categ_ids=[Command.set((self.building | self.bricks).ids)],
            territory_id=self.region.id,
        )
        self._sell(self.client_msk, [(self.brick, 10.0), (self.cement, 5.0), (self.hammer, 20.0)], date=march)
        self.assertEqual(target.achieved_amount, 15.0)
        self.assertEqual(self._report_row(target).achieved_amount, 15.0)
        self.assertEqual(self._matrix_total(target), 15.0)

    def test_overlapping_targets_each_count_their_days(self):
        quarter = self._target(date_to=date(2025, 5, 31), territory_id=self.region.id)
        march = self._target(territory_id=self.moscow.id)
        bricks = self._target(date_to=date(2025, 5, 31), product_categ_ids=[Command.set(self.bricks.ids)])
        self._sell(
            self.client_msk, [(self.brick, 10.0), (self.hammer, 1.0)], date=datetime(2025, 3, 10, 12, 0)
        )
        self._sell(self.client_spb, [(self.brick, 100.0)], date=datetime(2025, 4, 10, 12, 0))
        self._sell(self.client_fr, [(self.brick, 1000.0)], date=datetime(2025, 5, 10, 12, 0))
        self.assertEqual(
            [quarter.achieved_amount, march.achieved_amount, bricks.achieved_amount], [111.0, 11.0, 1110.0]
        )

    def test_empty_scope_counts_everything(self):
        target = self._target()
        self._sell(self.client_fr, [(self.brick, 10.0), (self.hammer, 20.0)], date=datetime(2025, 3, 2, 9, 0))
        self.assertEqual(target.achieved_amount, 30.0)
        self.assertEqual(self._report_row(target).achieved_amount, 30.0)
        self.assertEqual(self._matrix_total(target), 30.0)

    def test_period_edges_are_the_salespersons_days(self):
        target = self._target()
        # Moscow is UTC+3: 1 March starts on 28 February at 21:00 UTC, 1 April on 31 March at 21:00 UTC.
        for amount, utc in (
            (1.0, datetime(2025, 2, 28, 20, 59, 59)),  # 28 February, 23:59:59 in Moscow: out
            (10.0, datetime(2025, 2, 28, 21, 0, 0)),  # 1 March, 00:00 in Moscow: in
            (100.0, datetime(2025, 3, 31, 20, 59, 59)),  # 31 March, 23:59:59 in Moscow: in
            (1000.0, datetime(2025, 3, 31, 21, 0, 0)),  # 1 April, 00:00 in Moscow: out
        ):
            self._sell(self.client_fr, [(self.brick, amount)], date=utc)
        self.assertEqual(target.achieved_amount, 110.0)
        self.assertEqual(self._report_row(target).achieved_amount, 110.0)
        self.assertEqual(self._matrix_total(target), 110.0)
        # Without a time zone, the days are UTC days.
        self.hunter.tz = False
        target.invalidate_recordset()
        self.assertEqual(target.achieved_amount, 1100.0)

    def test_other_currency_counts_in_the_company_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.assertNotEqual(eur, self.company.currency_id)
        rates = self.env["res.currency.rate"].search(
            [("currency_id", "in", (eur | self.company.currency_id).ids)]
        )
        rates.unlink()
        # 2 EUR for 1 unit of the company currency.
        self.env["res.currency.rate"].create({"currency_id": eur.id, "rate": 2.0, "name": "2000-01-01"})
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id})
        target = self._target()
        self._sell(
            self.client_fr, [(self.brick, 400.0)], date=datetime(2025, 3, 5), pricelist_id=pricelist.id
        )
        self._sell(self.client_fr, [(self.brick, 100.0)], date=datetime(2025, 3, 5))
        self.assertEqual(target.achieved_amount, 300.0)
        self.assertEqual(self._report_row(target).achieved_amount, 300.0)

    def test_other_company_does_not_count(self):
        company_b = self.env["res.company"].create({"name": "Other Company"})
        self.hunter.company_ids |= company_b
        target = self._target()
        product_b = self.env["product.product"].create({"name": "B's brick", "company_id": company_b.id})
        client_b = self._client("Client of B", company_id=company_b.id)
        self._sell(client_b, [(product_b, 600.0)], date=datetime(2025, 3, 5), company_id=company_b.id)
        self._sell(self.client_fr, [(self.brick, 6.0)], date=datetime(2025, 3, 5))
        self.assertEqual(target.achieved_amount, 6.0)
        target_b = self.env["sales.target"].create(
            {
                "company_id": company_b.id,
                "user_id": self.hunter.id,
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
                "amount": 1000.0,
            }
        )
        self.assertEqual(target_b.achieved_amount, 600.0)

    def test_a_new_target_measures_before_it_is_saved(self):
        self._sell(self.client_msk, [(self.brick, 70.0), (self.hammer, 5.0)], date=datetime(2025, 3, 5))
        with Form(self.env["sales.target"].with_user(self.manager)) as form:
            form.user_id = self.hunter
            form.date_from = date(2025, 3, 1)
            form.date_to = date(2025, 3, 31)
            form.amount = 700.0
            self.assertEqual(form.achieved_amount, 75.0)
            form.product_categ_ids.add(self.building)
            self.assertEqual(form.achieved_amount, 70.0)
            self.assertEqual(form.progress, 10.0)
        self.assertEqual(form.record.achieved_amount, 70.0)
        self.assertEqual(form.record.name, "Building Materials · March 2025", "named when saved")

    def test_proposed_names(self):
        quarter = self._target(
            date_from=date(2025, 4, 1),
            date_to=date(2025, 6, 30),
            product_categ_ids=[Command.set((self.bricks | self.tools).ids)],
            product_ids=[Command.set(self.cement.ids)],
            territory_id=self.moscow.id,
        )
        self.assertEqual(quarter.name, "Bricks, Tools +1 · Moscow · Q2 2025")
        self.assertEqual(
            self._target(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)).name, "All Products · 2025"
        )
        named = self._target(name="Spring push")
        named.territory_id = self.moscow
        self.assertEqual(named.name, "Spring push", "a name is kept when the scope changes")
        named.name = False
        self.assertEqual(
            named.name, "All Products · Moscow · March 2025", "an emptied name is proposed again"
        )

    def test_bad_input(self):
        with self.assertRaisesRegex(ValidationError, "greater than zero"):
            self._target(amount=0.0)
        with self.assertRaisesRegex(ValidationError, "end on or after"):
            self._target(date_from=date(2025, 3, 31), date_to=date(2025, 3, 1))
        portal = self.env["res.users"].create(
            {
                "name": "Portal",
                "login": "tg_portal",
                "groups_id": [Command.set(self.env.ref("base.group_portal").ids)],
            }
        )
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self._target(user=portal)


@tagged("post_install", "-at_install")
class TestTargetPace(TargetCase):
    """A straight line from nothing on the first day to the target after the last."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # April has 30 days: 100 a day for a target of 3,000.
        cls.target = cls._target(date_from=date(2025, 4, 1), date_to=date(2025, 4, 30), amount=3000.0)
        cls.sale = cls._sell(cls.client_fr, [(cls.brick, 900.0)], date=datetime(2025, 4, 3, 12, 0))

    def _at(self, day):
        with freeze_time(day):
            self.target.invalidate_recordset()
            return self.target.expected_amount, self.target.pace_status

    def test_pace_through_the_period(self):
        self.assertEqual(self._at("2025-03-31 12:00"), (0.0, "upcoming"))
        self.assertEqual(self._at("2025-04-01 12:00"), (0.0, "on_pace"), "nothing expected on the first day")
        self.assertEqual(
            self._at("2025-04-10 12:00"), (900.0, "on_pace"), "9 days gone: 900 expected, 900 sold"
        )
        self.assertEqual(self._at("2025-04-11 12:00"), (1000.0, "behind"))
        self.assertEqual(self._at("2025-04-30 12:00"), (2900.0, "behind"))
        self.assertEqual(self._at("2025-05-01 12:00"), (3000.0, "missed"))
        self.sale.order_line.price_unit = 3000.0
        self.assertEqual(self._at("2025-04-11 12:00")[1], "reached")

    def test_pace_is_searchable_and_reported(self):
        ahead = self._target(
            date_from=date(2025, 4, 1), date_to=date(2025, 4, 30), amount=100.0, user=self.hunter
        )
        with freeze_time("2025-04-11 12:00"):
            Target = self.env["sales.target"]
            behind = Target.search([("pace_status", "=", "behind"), ("id", "in", (self.target | ahead).ids)])
            self.assertEqual(behind, self.target)
            not_behind = Target.search(
                [("pace_status", "!=", "behind"), ("id", "in", (self.target | ahead).ids)]
            )
            self.assertEqual(not_behind, ahead)
            self.env.flush_all()
            report = self.env["sales.target.report"].search([("target_id", "in", (self.target | ahead).ids)])
            rows = {
                row.target_id: (round(row.expected_amount, 2), row.pace_status, row.progress)
                for row in report
            }
            self.assertEqual(rows[self.target], (1000.0, "behind", 30.0))
            self.assertEqual(rows[ahead], (33.33, "reached", 900.0))


@tagged("post_install", "-at_install")
class TestTargetReportPeriods(TargetCase):
    """The report filtered on the period (the dashboard's filter) gives the
    figures of the whole report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.march = cls._target()
        cls.april = cls._target(date_from=date(2025, 4, 1), date_to=date(2025, 4, 30))
        cls._sell(cls.client_msk, [(cls.brick, 10.0)], date=datetime(2025, 3, 10, 12, 0))
        cls._sell(cls.client_msk, [(cls.brick, 100.0)], date=datetime(2025, 4, 10, 12, 0))

    def _achieved(self, domain):
        self.env.flush_all()
        self.env.invalidate_all()
        rows = self.env["sales.target.report"].search(
            domain + [("target_id", "in", (self.march | self.april).ids)]
        )
        return {row.target_id: row.achieved_amount for row in rows}

    def test_a_period_filter_gives_the_figures_of_the_whole_report(self):
        everything = self._achieved([])
        self.assertEqual(everything, {self.march: 10.0, self.april: 100.0})
        april = [("date_from", ">=", "2025-04-01"), ("date_from", "<=", "2025-06-30")]
        self.assertEqual(self._achieved(april), {self.april: 100.0})
        self.assertEqual(self._achieved([("date_to", "<", date(2025, 4, 1))]), {self.march: 10.0})
        either = ["|", ("date_from", ">=", "2025-04-01"), ("name", "=", self.march.name)]
        self.assertEqual(self._achieved(either), everything, "a period inside an OR bounds nothing")
        groups = self.env["sales.target.report"]._read_group(
            april + [("target_id", "in", (self.march | self.april).ids)], ["user_id"], ["achieved_amount:sum"]
        )
        self.assertEqual(groups, [(self.hunter, 100.0)])


@tagged("post_install", "-at_install")
class TestTargetQueries(TargetCase):
    """One grouped query measures any number of targets."""

    def _measure(self, targets):
        self.env["sales.target"]._mark_achievement_changed(targets)
        targets.flush_recordset(list(ACHIEVED_FIELDS))

    def test_constant_queries(self):
        self._sell(self.client_msk, [(self.brick, 10.0)], date=datetime(2025, 3, 5))
        scope = {"product_categ_ids": [Command.set(self.building.ids)], "territory_id": self.region.id}
        one = self._target(**scope)
        many = self.env["sales.target"].union(*(self._target(**scope) for _i in range(50)))
        self.env.flush_all()
        self.env.invalidate_all()
        # The grouped measure, the targets' amounts, their company's currency (to round), the UPDATE.
        with self.assertQueryCount(5):
            self._measure(one)
        self.env.invalidate_all()
        with self.assertQueryCount(5):
            self._measure(many)
        # Reading them is reading a column.
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            many.mapped("achieved_amount")
        self.assertEqual(set(many.mapped("achieved_amount")), {10.0})


@tagged("post_install", "-at_install")
class TestTargetAchievementKept(TargetCase):
    """What a target achieved is kept on it: measured again whenever the sales
    in its scope or the organisation under it change, set right each night, and
    set by nobody."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.target = cls._target(
            product_categ_ids=[Command.set(cls.building.ids)], territory_id=cls.region.id
        )
        cls.order = cls._sell(cls.client_msk, [(cls.brick, 100.0)], date=datetime(2025, 3, 10, 12, 0))

    def _achieved(self):
        self.env.flush_all()
        self.env.invalidate_all()
        return self.target.achieved_amount

    def test_orders_edited_cancelled_moved(self):
        self.assertEqual(self._achieved(), 100.0)
        self.order.order_line.price_unit = 120.0
        self.assertEqual(self._achieved(), 120.0, "a confirmed order's lines edited")
        self.order.order_line = [Command.create({"product_id": self.cement.id, "price_unit": 30.0})]
        self.assertEqual(self._achieved(), 150.0, "a line added")
        self.order.order_line.filtered(lambda line: line.product_id == self.cement).product_uom_qty = 0
        self.assertEqual(self._achieved(), 120.0, "a line's quantity set to 0")
        self.order.date_order = datetime(2025, 4, 2, 12, 0)
        self.assertEqual(self._achieved(), 0.0, "moved out of the period")
        self.order.date_order = datetime(2025, 3, 31, 21, 30)  # 1 April, 00:30 in Moscow
        self.assertEqual(self._achieved(), 0.0)
        self.hunter.tz = "UTC"
        self.assertEqual(self._achieved(), 120.0, "the salesperson's days are UTC days now")
        self.order.user_id = self.hunter_2
        self.assertEqual(self._achieved(), 0.0, "another salesperson's sale")
        self.order.user_id = self.hunter
        self.order._action_cancel()
        self.assertEqual(self._achieved(), 0.0, "cancelled")

    def test_organisation_changes(self):
        self.assertEqual(self._achieved(), 100.0)
        self.brick.categ_id = self.tools
        self.assertEqual(self._achieved(), 0.0, "the product left the scope's categories")
        self.tools.parent_id = self.building
        self.assertEqual(self._achieved(), 100.0, "its category moved under the scope's")
        self.moscow.parent_id = False
        self.assertEqual(self._achieved(), 0.0, "the order's territory left the region")

    def test_only_the_targets_above_a_move_are_measured_again(self):
        paint = self.env["product.category"].create({"name": "Paint"})
        self._achieved()
        pending = self.env["sales.target"]._fields["achieved_amount"]
        self.hammer.categ_id = paint  # from Tools to Paint: neither under Building Materials
        self.assertNotIn(self.target, self.env.records_to_compute(pending))
        self.brick.categ_id = paint  # out of Bricks, under Building Materials
        self.assertIn(self.target, self.env.records_to_compute(pending))

    def test_the_nightly_run_sets_right_what_went_wrong(self):
        self.assertEqual(self._achieved(), 100.0)
        # e.g. orders written in SQL by an import script
        self.env.cr.execute("UPDATE sales_target SET achieved_amount = 7 WHERE id = %s", [self.target.id])
        self.env.invalidate_all()
        with freeze_time("2025-03-20"):
            self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(self._achieved(), 100.0)

    def test_nobody_sets_what_was_achieved(self):
        for user in (self.pm, self.manager):
            target = self.target.with_user(user)
            for name, value in (("achieved_amount", 1e6), ("progress", 100.0), ("gap_amount", 0.0)):
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRaisesRegex(UserError, "nobody sets"),
                ):
                    target.write({name: value})
            with self.subTest(user=user.login, path="create with defaults"), self.assertRaises(UserError):
                self.env["sales.target"].with_user(user).with_context(default_achieved_amount=1e6).create(
                    {
                        "user_id": self.hunter.id,
                        "date_from": date(2025, 3, 1),
                        "date_to": date(2025, 3, 31),
                        "amount": 10.0,
                        "product_categ_ids": [Command.set(self.building.ids)],
                    }
                )
            with self.subTest(user=user.login, path="import"):
                result = (
                    self.env["sales.target"]
                    .with_user(user)
                    .load(
                        ["id", "achieved_amount"],
                        [[self.target.get_external_id()[self.target.id] or "", "5"]],
                    )
                )
                self.assertFalse(result["ids"])
        self.assertEqual(self._achieved(), 100.0)
