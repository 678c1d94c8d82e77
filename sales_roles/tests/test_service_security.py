"""Who sees and changes the service level (issue 13, item 7): standards are the
Sales Administrators', the clients' figures the system's on every path, the
Service Level report each salesperson's own clients."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .service_common import ServiceCase

ADMIN_ONLY = "Only Sales Administrators"
FORGED = {
    "service_status": "ok",
    "last_touch_date": "2026-02-01 10:00:00",
    "next_touch_date": "2026-03-01",
    "purchase_interval_days": 5.0,
    "at_risk": True,
    "at_risk_since": "2026-02-01",
    "last_order_date": "2026-02-01 10:00:00",
    "sales_12_months": 1000000.0,
    "sales_total": 1000000.0,
}


@tagged("post_install", "-at_install")
class TestServiceSecurity(ServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller_all = cls._settings_user("sv_seller_all", "sales_team.group_sale_salesman_all_leads")
        cls.director = cls._settings_user("sv_director", "sales_team.group_sale_manager")
        cls.bare_seller = new_test_user(cls.env, "sv_bare", groups="sales_team.group_sale_salesman")
        cls.sellers = cls.manager_farmer | cls.seller_all | cls.bare_seller
        with freeze_time("2026-01-01 10:00:00"):
            cls.mine = cls._regular_client("Mine Ltd")
            cls._order(cls.mine)
            cls.theirs = cls._regular_client("Theirs Ltd", owner=cls.farmer)
        cls.contact = cls.env["res.partner"].create({"name": "Mo Mine", "parent_id": cls.mine.id})
        with freeze_time("2026-02-15 10:00:00"):
            cls.env["sales.service.engine"]._refresh_service_figures()
        # The order figures too: another client's order as the first, an inflated total.
        elsewhere = cls._order(cls._client("Elsewhere Ltd"), confirm=False)
        cls.forged = {**FORGED, "first_order_id": elsewhere.id}

    def _figures(self, partner):
        return {name: partner[name] for name in ("service_standard_id", *self.forged)}

    # ------------------------------------------------------------
    # Standards
    # ------------------------------------------------------------

    def test_standards_are_read_by_salespeople_written_by_administrators(self):
        for user in self.sellers:
            with self.subTest(user=user.login):
                standard = self.regular_standard.with_user(user)
                self.assertEqual(standard.name, "Regular clients: every 30 days")
                with self.assertRaises(AccessError):
                    standard.write({"contact_interval_days": 60})
                with self.assertRaises(AccessError):
                    standard.copy()
                with self.assertRaises(AccessError):
                    standard.unlink()
        standard = self.regular_standard.with_user(self.director)
        standard.write({"contact_interval_days": 45})
        standard.copy().unlink()
        internal = new_test_user(self.env, "sv_internal", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.regular_standard.with_user(internal).read(["name"])

    # ------------------------------------------------------------
    # The clients' figures
    # ------------------------------------------------------------

    def test_salespeople_cannot_set_the_figures_on_any_path(self):
        before = self._figures(self.mine)
        for user in self.sellers:
            for partner in self.mine | self.contact:
                for name, value in self.forged.items():
                    with self.subTest(user=user.login, partner=partner.name, field=name):
                        with self.assertRaisesRegex(AccessError, ADMIN_ONLY):
                            partner.with_user(user).write({name: value})
            with self.subTest(user=user.login, path="create with defaults"):
                for name, value in self.forged.items():
                    # (a bare salesperson may not create contacts at all)
                    with self.assertRaisesRegex(AccessError, ADMIN_ONLY if user != self.bare_seller else ""):
                        self.env["res.partner"].with_user(user).with_context(
                            **{f"default_{name}": value}
                        ).create({"name": "Forged Co", "is_company": True})
            with self.subTest(user=user.login, path="import"):
                result = (
                    self.env["res.partner"]
                    .with_user(user)
                    .load(
                        ["id", "name", "service_status"],
                        [[self.mine.get_external_id()[self.mine.id] or "", "Mine Ltd", "OK"]],
                    )
                )
                self.assertFalse(result["ids"])
        self.assertEqual(self._figures(self.mine), before)
        # Writing the values a client has is no change (a re-import of an export).
        self.mine.with_user(self.manager_farmer).write(
            {
                "service_status": self.mine.service_status,
                "at_risk": False,
                "next_touch_date": self.mine.next_touch_date,
            }
        )
        # A Sales Administrator may.
        self.mine.with_user(self.director).write({"at_risk": True})
        self.assertTrue(self.contact.at_risk, "and it reaches the contacts")

    def test_contacts_created_and_moved_by_salespeople(self):
        contact = (
            self.env["res.partner"]
            .with_user(self.manager_farmer)
            .create({"name": "New Buyer", "parent_id": self.mine.id})
        )
        self.assertEqual(self._figures(contact), self._figures(self.mine))
        contact.with_user(self.manager_farmer).write({"parent_id": self.theirs.id})
        self.assertEqual(self._figures(contact), self._figures(self.theirs))

    def test_merging_duplicates_by_a_salesperson(self):
        duplicate = self._regular_client("Mine Ltd (duplicate)")
        with freeze_time("2026-02-10 10:00:00"):
            duplicate.with_user(self.manager_farmer).message_post(body="Visited", message_type="comment")
        self.assertNotEqual(self._figures(duplicate), self._figures(self.mine))
        with freeze_time("2026-02-15 10:00:00"):
            self.env["base.partner.merge.automatic.wizard"].with_user(self.manager_farmer).create(
                {"partner_ids": [Command.set((self.mine | duplicate).ids)], "dst_partner_id": self.mine.id}
            ).action_merge()
            self._commit_touches()
        self.assertFalse(duplicate.exists())
        self.assertEqual(
            str(self.mine.last_touch_date), "2026-02-10 10:00:00", "its touches are the client's now"
        )

    # ------------------------------------------------------------
    # The Service Level report
    # ------------------------------------------------------------

    def test_report_rows_per_kind_of_user(self):
        Report = self.env["sales.service.report"]
        rows = Report.search([("partner_id", "in", (self.mine | self.theirs).ids)])
        self.assertEqual(rows.partner_id, self.mine | self.theirs)
        for user, expected in (
            (self.manager_farmer, self.mine),
            (self.bare_seller, self.env["res.partner"]),
            (self.seller_all, self.mine | self.theirs),
            (self.director, self.mine | self.theirs),
        ):
            with self.subTest(user=user.login):
                seen = Report.with_user(user).search([("partner_id", "in", (self.mine | self.theirs).ids)])
                self.assertEqual(seen.partner_id, expected)
        internal = new_test_user(self.env, "sv_internal", groups="base.group_user")
        with self.assertRaises(AccessError):
            Report.with_user(internal).search([])

    def test_report_measures(self):
        self.theirs.sales_lifecycle_state = "key"  # no key standard: no longer under one
        late = self._regular_client("Late Ltd")
        with freeze_time("2026-02-01 10:00:00"):
            self._order(late, amount=500.0)
        with freeze_time("2026-02-25 10:00:00"):
            self._refresh()
            late.at_risk = True
            self.env.flush_all()
            Report = self.env["sales.service.report"]
            domain = [("user_id", "=", self.manager_farmer.id)]
            ((count, overdue, compliance, at_risk, sales_at_risk),) = Report._read_group(
                domain,
                [],
                ["__count", "overdue_count:sum", "compliance:avg", "at_risk_count:sum", "sales_at_risk:sum"],
            )
            row = Report.search([("partner_id", "=", late.id)])
            figures = (row.days_since_last_order, row.sales_12_months)
        # Mine Ltd: last touch January 1st, overdue; Late Ltd: February 1st, OK.
        self.assertEqual((count, overdue, compliance, at_risk, sales_at_risk), (2, 1, 50.0, 1, 500.0))
        self.assertEqual(figures, (24, 500.0))
        self.assertFalse(Report.search([("partner_id", "=", self.theirs.id)]))
