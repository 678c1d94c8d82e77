from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .targets_common import TargetCase


@tagged("post_install", "-at_install")
class TestSetTargets(TargetCase):
    """Set Targets: one target per salesperson, the same amount or a total split."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._settings_user("tg_set_seller", name="Sasha Seller")
        cls.team = cls.env["crm.team"].create(
            {"name": "Bricks Team", "member_ids": [Command.set((cls.hunter | cls.hunter_2 | cls.seller).ids)]}
        )

    def _wizard(self, user=None, **vals):
        form = Form(self.env["sales.target.wizard"].with_user(user or self.pm))
        form.date_from = date(2025, 7, 1)
        form.date_to = date(2025, 9, 30)
        for name, value in vals.items():
            setattr(form, name, value)
        return form

    def _amounts(self, wizard):
        return {line.user_id: line.amount for line in wizard.line_ids}

    def test_same_amount_for_each_member_of_a_team(self):
        form = self._wizard(team_id=self.team, split="each", amount=1000.0)
        form.product_categ_ids.add(self.bricks)
        wizard = form.save()
        self.assertEqual(
            self._amounts(wizard), dict.fromkeys(self.hunter | self.hunter_2 | self.seller, 1000.0)
        )
        action = wizard.action_confirm()
        targets = self.env["sales.target"].search(action["domain"])
        self.assertEqual(targets.user_id, self.hunter | self.hunter_2 | self.seller)
        self.assertEqual(set(targets.mapped("amount")), {1000.0})
        self.assertEqual(targets.manager_id, self.pm)
        self.assertEqual(targets.product_categ_ids, self.bricks)
        self.assertEqual(set(targets.mapped("name")), {"Bricks · Q3 2025"})
        self.assertEqual({(t.date_from, t.date_to) for t in targets}, {(date(2025, 7, 1), date(2025, 9, 30))})

    def test_total_split_equally_adds_up(self):
        form = self._wizard(split="equal", amount=1000.0)
        for user in (self.hunter, self.hunter_2, self.seller):
            form.user_ids.add(user)
        wizard = form.save()
        amounts = self._amounts(wizard)
        self.assertEqual(sorted(amounts.values()), [333.33, 333.33, 333.34])
        self.assertAlmostEqual(sum(amounts.values()), 1000.0)

    def test_total_split_by_last_years_sales_in_scope(self):
        last_summer = datetime(2024, 8, 15, 12, 0)
        self._sell(self.client_msk, [(self.brick, 300.0), (self.hammer, 5000.0)], date=last_summer)
        self._sell(self.client_spb, [(self.cement, 100.0)], user=self.hunter_2, date=last_summer)
        self._sell(
            self.client_fr, [(self.brick, 9000.0)], user=self.hunter_2, date=datetime(2024, 6, 30, 12, 0)
        )
        form = self._wizard(split="history", amount=2000.0)
        form.product_categ_ids.add(self.building)
        for user in (self.hunter, self.hunter_2, self.seller):
            form.user_ids.add(user)
        wizard = form.save()
        lines = {line.user_id: (line.last_year_amount, line.amount) for line in wizard.line_ids}
        self.assertEqual(
            lines,
            {self.hunter: (300.0, 1500.0), self.hunter_2: (100.0, 500.0), self.seller: (0.0, 0.0)},
            "the hammer and the sale of June are out of the scope",
        )
        self.assertFalse(wizard.split_note)
        # A salesperson with no share gets no target.
        wizard.line_ids.filtered(lambda line: line.user_id == self.seller).unlink()
        targets = self.env["sales.target"].search(wizard.action_confirm()["domain"])
        self.assertEqual(sorted(targets.mapped("amount")), [500.0, 1500.0])

    def test_nobody_sold_last_year_splits_equally(self):
        form = self._wizard(split="history", amount=100.0)
        form.product_categ_ids.add(self.bricks)
        form.user_ids.add(self.hunter)
        form.user_ids.add(self.hunter_2)
        wizard = form.save()
        self.assertEqual(sorted(self._amounts(wizard).values()), [50.0, 50.0])
        self.assertIn("split equally", wizard.split_note)

    def test_last_years_sales_only_for_who_manages_the_scope(self):
        self._sell(
            self.client_msk, [(self.brick, 300.0)], user=self.hunter_2, date=datetime(2024, 8, 15, 12, 0)
        )
        form = self._wizard(user=self.seller, split="history", amount=100.0)
        form.product_categ_ids.add(self.building)
        form.user_ids.add(self.hunter_2)
        form.user_ids.add(self.seller)
        wizard = form.save()
        self.assertEqual(
            wizard.line_ids.mapped("last_year_amount"), [0.0, 0.0], "a colleague's sales stay hidden"
        )
        self.assertIn("you manage only", wizard.split_note)

    def test_last_years_sales_of_another_company_stay_hidden(self):
        """The wizard's company is the user's input: a product manager of company A
        does not read company B's sales of his products through it."""
        company_b = self.env["res.company"].create({"name": "Company B"})
        seller_b = self._settings_user(
            "tg_seller_b", company_id=company_b.id, company_ids=[Command.set(company_b.ids)]
        )
        client_b = self._client("Client B", company_id=company_b.id, user_id=seller_b.id)
        self._sell(
            client_b,
            [(self.brick, 700.0)],
            user=seller_b,
            date=datetime(2024, 8, 15, 12, 0),
            company_id=company_b.id,
        )
        values = {
            "date_from": date(2025, 7, 1),
            "date_to": date(2025, 9, 30),
            "split": "history",
            "amount": 100.0,
            "product_categ_ids": [Command.set(self.building.ids)],
            "user_ids": [Command.set(seller_b.ids)],
        }
        Wizard = self.env["sales.target.wizard"]
        self.assertEqual(
            Wizard.create({**values, "company_id": company_b.id}).line_ids.mapped("last_year_amount"), [700.0]
        )
        wizard = Wizard.with_user(self.pm).create({**values, "company_id": company_b.id})
        self.assertEqual(wizard.line_ids.mapped("last_year_amount"), [0.0])

    def test_rights_of_the_user_apply(self):
        form = self._wizard(split="each", amount=10.0)
        form.product_categ_ids.add(self.tools)
        form.user_ids.add(self.hunter)
        with self.assertRaises(AccessError):
            form.save().action_confirm()
        with self.assertRaisesRegex(UserError, "at least one salesperson"):
            self._wizard(amount=10.0).save().action_confirm()
