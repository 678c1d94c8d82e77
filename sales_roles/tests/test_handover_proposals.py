"""Handover proposals (issue 15): rules that ask for approval propose, the
approver decides, the client changes hands only once approved."""

from datetime import timedelta

import psycopg2.errors
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.sales_roles.models.sales_handover_engine import Move

from .common import SalesRolesCase


class ProposalsCase(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["sales.handover.rule"]
        cls.Handover = cls.env["sales.handover"]
        cls.approver = cls._settings_user("hp_approver", name="Alice Approver")
        cls.farmer_2 = new_test_user(
            cls.env, "hp_farmer_2", groups="sales_team.group_sale_salesman", name="Frank Farmer"
        )
        cls.farmers = (cls.farmer | cls.farmer_2).sorted("id")
        cls.farm_team = cls.env["crm.team"].create(
            {"name": "Account Management", "member_ids": [Command.set(cls.farmers.ids)]}
        )
        cls.rule = cls._rule(
            [{"criterion": "order_count", "min_count": 3}],
            name="After the 3rd order",
            target_team_id=cls.farm_team.id,
            target_user_ids=[Command.set(cls.farmers.ids)],
            approval_required=True,
            approver_id=cls.approver.id,
        )
        cls.todo_type = cls.env.ref("sales_roles.mail_activity_type_handover_proposals")

    def _won_client(self, name, orders=3, user=None, **vals):
        user = user or self.hunter
        client = self._client(name, user_id=user.id, **vals)
        for _i in range(orders):
            self._order(client, user=user)
        return client

    def _proposal(self, clients):
        return self.Handover.search([("partner_id", "in", clients.ids), ("state", "=", "proposed")])

    def _night(self):
        self.Rule._cron_run_handover()

    def _todos(self, rule=None):
        return (rule or self.rule).activity_ids.filtered(lambda a: a.activity_type_id == self.todo_type)


@tagged("post_install", "-at_install")
class TestProposalFlow(ProposalsCase):
    # ------------------------------------------------------------
    # The night: proposals, not handovers
    # ------------------------------------------------------------

    def test_rule_with_approval_proposes_and_changes_nothing(self):
        client = self._won_client("Lumber Inc")
        contact = self.env["res.partner"].create(
            {"name": "Jane", "parent_id": client.id, "user_id": self.hunter.id}
        )
        self._night()

        self.assertRecordValues(
            client,
            [
                {
                    "user_id": self.hunter.id,
                    "sales_lifecycle_state": "new",
                    "team_id": False,
                    "handover_date": False,
                }
            ],
        )
        self.assertEqual(contact.user_id, self.hunter)
        self.assertFalse(client.handover_ids, "the history holds actual changes only")
        self.assertFalse(client.activity_ids, "no to-do for a new owner")
        self.assertFalse(client.message_ids.filtered(lambda m: "After the 3rd order" in (m.body or "")))
        proposal = self._proposal(client)
        self.assertRecordValues(
            proposal,
            [
                {
                    "state": "proposed",
                    "rule_id": self.rule.id,
                    "trigger": "auto",
                    "from_user_id": self.hunter.id,
                    "from_state": "new",
                    "to_state": "regular",
                    "order_count": 3,
                    "sales_total": 300.0,
                    "decided_by_id": False,
                }
            ],
        )
        self.assertIn(proposal.to_user_id, self.farmers)
        self.assertEqual(self.rule.last_run_count, 1)
        self.assertEqual(self.rule.handover_count, 0, "a proposal is no handover")
        self.assertEqual(self.rule.with_user(self.approver).proposal_count, 1)

        todo = self._todos()
        self.assertEqual(todo.user_id, self.approver, "one to-do for the approver, on the rule")
        self.assertEqual(todo.summary, "1 client(s) proposed for Account Management")
        self.assertIn("action-sales_roles.sales_handover_proposal_action", todo.note, "it links to the queue")
        action = self.rule.with_user(self.approver).action_view_proposals()
        self.assertEqual(self.Handover.with_user(self.approver).search(action["domain"]), proposal)

    def test_second_night_no_duplicate_and_no_other_rule(self):
        client = self._won_client("Once")
        self._night()
        self._rule(
            [{"criterion": "sales_total", "min_amount": 100}],
            name="Later rule without approval",
            sequence=20,
            target_user_ids=[Command.set(self.farmer_2.ids)],
        )
        second = self._won_client("Second")
        self._night()
        self.assertEqual(self.Handover.search_count([("partner_id", "=", client.id)]), 1)
        self.assertEqual(client.sales_lifecycle_state, "new", "a pending client is moved by no rule")
        self.assertEqual(client.user_id, self.hunter)
        self.assertTrue(self._proposal(second), "the new match is proposed the next night")
        todo = self._todos()
        self.assertEqual(len(todo), 1, "one to-do per rule and approver, kept up to date")
        self.assertEqual(todo.summary, "2 client(s) proposed for Account Management")

    def test_one_pending_proposal_per_client(self):
        client = self._won_client("Unique")
        self._night()
        move = self.rule._plan_handovers().moves  # the candidate query leaves it alone ...
        self.assertFalse(move)
        proposal = self._proposal(client)
        twice = Move(
            client_id=client.id,
            rule_id=self.rule.id,
            from_user_id=self.hunter.id,
            to_user_id=proposal.to_user_id.id,
            from_state="new",
            to_state="regular",
            team_id=False,
            order_count=3,
            sales_total=300.0,
            company_id=self.company.id,
            propose=True,
        )
        # ... and the database refuses a second pending proposal
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Handover._propose_moves([twice])
        # the index the candidate query relies on
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'sales_handover_pending_proposal_index'"
        )
        self.assertIn("WHERE ((state)::text = 'proposed'::text)", self.env.cr.fetchone()[0])

    def test_rules_without_approval_are_unchanged(self):
        self.rule.approval_required = False
        client = self._won_client("Direct")
        self._night()
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertEqual(client.handover_ids.state, "done")
        self.assertFalse(client.handover_ids.decided_by_id)
        self.assertFalse(self._todos())

    def test_preview_of_a_rule_with_approval_writes_nothing(self):
        client = self._won_client("Previewed")
        action = self.rule.with_user(self.farmer).action_preview()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines.partner_id, client)
        self.assertFalse(self.Handover.search([("partner_id", "=", client.id)]))

    def test_nightly_proposals_query_count_does_not_grow(self):
        for i in range(3):
            self._won_client(f"Small {i}")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=65):
            self.rule._run_handover()
        self.assertEqual(self.rule.last_run_count, 3)
        for i in range(30):
            self._won_client(f"Large {i}")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=65):
            self.rule._run_handover()
        self.assertEqual(self.rule.last_run_count, 30)

    # ------------------------------------------------------------
    # Approving
    # ------------------------------------------------------------

    def test_approve_applies_and_measures_again(self):
        client = self._won_client("Approve me")
        contact = self.env["res.partner"].create(
            {"name": "Jim", "parent_id": client.id, "user_id": self.hunter.id}
        )
        self._night()
        proposal = self._proposal(client)
        new_owner = proposal.to_user_id
        self._order(client, amount=50.0)  # bought again while the proposal waited

        action = proposal.with_user(self.approver).action_approve()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])

        self.assertRecordValues(
            client,
            [{"user_id": new_owner.id, "sales_lifecycle_state": "regular", "team_id": self.farm_team.id}],
        )
        self.assertTrue(client.handover_date)
        self.assertEqual(contact.user_id, new_owner)
        self.assertEqual(client.hunter_id, self.hunter)
        self.assertRecordValues(
            proposal,
            [
                {
                    "state": "done",
                    "trigger": "auto",
                    "order_count": 4,
                    "sales_total": 350.0,
                    "decided_by_id": self.approver.id,
                }
            ],
        )
        self.assertEqual(
            proposal.date, proposal.decided_date, "the log is dated when the client changed hands"
        )
        self.assertEqual(client.handover_ids, proposal, "one record per actual change")
        self.assertEqual(self.Handover.search_count([("partner_id", "=", client.id)]), 1)
        note = client.message_ids.filtered(lambda m: "After the 3rd order" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Approved by Alice Approver", note.body)
        self.assertIn("350", note.body)
        self.assertEqual(client.activity_ids.user_id, new_owner, "the new owner's to-do")
        self.assertIn(new_owner.partner_id, client.message_partner_ids)
        self.assertFalse(self._todos(), "the approver's to-do is done once no proposal is left")
        self.assertEqual(self.rule.handover_count, 1)

    def test_approve_from_the_client_form(self):
        client = self._won_client("From the form")
        self._night()
        as_approver = client.with_user(self.approver)
        self.assertTrue(as_approver.handover_proposal_id)
        self.assertTrue(as_approver.handover_proposal_can_decide)
        self.assertEqual(as_approver.handover_proposal_rule_id, self.rule)
        self.assertEqual(as_approver.handover_proposal_state, "regular")
        as_approver.action_approve_handover_proposal()
        self.assertEqual(client.sales_lifecycle_state, "regular")
        client.invalidate_recordset()
        self.assertFalse(client.with_user(self.approver).handover_proposal_id)
        with self.assertRaises(UserError):
            client.with_user(self.approver).action_approve_handover_proposal()

    def test_approve_after_the_client_changed_cancels(self):
        by_hand, reassigned, excluded, kept = (
            self._won_client(name) for name in ("By hand", "Reassigned", "Excluded", "Kept")
        )
        self._night()
        self.env["sales.handover.wizard"].with_user(self.manager).create(
            {
                "partner_ids": [Command.set(by_hand.ids)],
                "user_id": self.hunter_2.id,
                "reason": "Asked for Henry",
            }
        ).action_confirm()
        reassigned.user_id = self.hunter_2
        excluded.handover_blocked = True
        proposals = self._proposal(by_hand | reassigned | excluded | kept)

        action = proposals.with_user(self.approver).action_approve()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("3 proposal(s) cancelled", action["params"]["message"])
        reasons = {
            proposal.partner_id: proposal.reason
            for proposal in proposals.filtered(lambda p: p.state == "cancelled")
        }
        self.assertEqual(set(reasons), {by_hand, reassigned, excluded})
        self.assertIn("Asked for Henry", reasons[by_hand])
        self.assertIn("owner or lifecycle state changed", reasons[reassigned])
        self.assertIn("excluded from automatic handovers", reasons[excluded])
        self.assertEqual(by_hand.user_id, self.hunter_2, "the decision of the day wins")
        self.assertEqual(reassigned.user_id, self.hunter_2)
        self.assertEqual(excluded.user_id, self.hunter)
        self.assertEqual(excluded.sales_lifecycle_state, "new")
        self.assertEqual(kept.sales_lifecycle_state, "regular")
        self.assertEqual(set(proposals.mapped("decided_by_id")), {self.approver})

    def test_approve_after_another_rule_moved_the_client(self):
        client = self._won_client("Raced")
        direct = self._rule(
            [{"criterion": "sales_total", "min_amount": 100}],
            name="Direct rule",
            sequence=20,
            target_user_ids=[Command.set(self.farmer_2.ids)],
            active=False,
        )
        planned = direct._plan_handovers().moves  # an earlier call of the night planned it
        self._night()
        self.Handover._apply_moves(planned)
        self.assertEqual(client.handover_ids.rule_id, direct)
        proposal = self._proposal(client)
        proposal.with_user(self.approver).action_approve()
        self.assertEqual(proposal.state, "cancelled")
        self.assertIn("Direct rule", proposal.reason)
        self.assertEqual(client.user_id, self.farmer_2)

    def test_approver_changes_the_new_owner(self):
        client = self._won_client("Other owner")
        self._night()
        proposal = self._proposal(client)
        other = self.farmers - proposal.to_user_id
        with Form(proposal.with_user(self.approver)) as form:
            form.to_user_id = other
        self.assertEqual(proposal.to_user_id, other)
        proposal.with_user(self.approver).action_approve()
        self.assertEqual(client.user_id, other)
        self.assertEqual(proposal.to_user_id, other)
        self.assertEqual(client.activity_ids.user_id, other)

    def test_new_owner_must_be_able_to_receive(self):
        client = self._won_client("Checked owner")
        self._night()
        proposal = self._proposal(client).with_user(self.approver)
        company_b = self.env["res.company"].create({"name": "Elsewhere"})
        outsider = new_test_user(
            self.env,
            "hp_outsider",
            groups="sales_team.group_sale_salesman",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        portal = new_test_user(self.env, "hp_portal", groups="base.group_portal")
        for user in (outsider, portal, self.env["res.users"]):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                proposal.write({"to_user_id": user.id})
        # the chosen owner left since: the proposal waits for another one
        proposal.to_user_id.sudo().active = False
        action = proposal.action_approve()
        self.assertIn("wait for another new owner", action["params"]["message"])
        self.assertEqual(proposal.state, "proposed")
        self.assertEqual(client.sales_lifecycle_state, "new")

    def test_only_the_new_owner_of_a_pending_proposal_changes(self):
        client = self._won_client("Frozen")
        self._night()
        proposal = self._proposal(client)
        as_approver = proposal.with_user(self.approver)
        for vals in (
            {"reason": "Forged"},
            {"order_count": 99},
            {"state": "done"},
            {"from_user_id": self.approver.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_approver.write(vals)
        as_approver.write({"order_count": 3, "state": "proposed"})  # the values it has: no change
        as_approver.action_approve()
        with self.assertRaises(UserError):
            as_approver.write({"to_user_id": (self.farmers - proposal.to_user_id).id})

    # ------------------------------------------------------------
    # Rejecting, expiring
    # ------------------------------------------------------------

    def test_reject_then_not_proposed_within_the_cooldown(self):
        client = self._won_client("Not yet")
        self._night()
        proposal = self._proposal(client)
        with self.assertRaises(UserError):
            proposal.with_user(self.approver).action_reject("   ")
        wizard_action = proposal.with_user(self.approver).action_open_reject_wizard()
        wizard = (
            self.env["sales.handover.reject.wizard"]
            .with_user(self.approver)
            .with_context(**wizard_action["context"])
            .create({"reason": "The hunter is negotiating the annual contract"})
        )
        self.assertEqual(wizard.cooldown_days, 30)
        wizard.action_confirm()

        self.assertRecordValues(
            proposal,
            [
                {
                    "state": "rejected",
                    "reason": "The hunter is negotiating the annual contract",
                    "decided_by_id": self.approver.id,
                }
            ],
        )
        self.assertEqual(client.user_id, self.hunter)
        note = client.message_ids.filtered(lambda m: "rejected by Alice Approver" in (m.body or ""))
        self.assertEqual(len(note), 1, "the reason is posted on the client")
        self.assertIn("annual contract", note.body)
        self.assertIn("30 days", note.body)
        self.assertFalse(self._todos())

        self._night()
        self.assertFalse(self._proposal(client), "not proposed again the next night")
        with freeze_time(fields.Datetime.now() + timedelta(days=29)):
            self._night()
            self.assertFalse(self._proposal(client))
        with freeze_time(fields.Datetime.now() + timedelta(days=31)):
            self._night()
            self.assertTrue(self._proposal(client), "proposed again after the cooldown")

    def test_cooldown_is_per_rule_and_a_setting(self):
        client = self._won_client("Cooling")
        self._night()
        self._proposal(client).with_user(self.approver).action_reject("Later")
        other = self._rule(
            [{"criterion": "sales_total", "min_amount": 100}],
            name="Other rule with approval",
            sequence=20,
            target_user_ids=[Command.set(self.farmer_2.ids)],
            approval_required=True,
        )
        self._night()
        self.assertEqual(self._proposal(client).rule_id, other, "another rule may propose it")
        self._proposal(client).action_reject("Not now either")
        self.env["ir.config_parameter"].set_param("sales_roles.proposal_cooldown_days", "5")
        with freeze_time(fields.Datetime.now() + timedelta(days=6)):
            self._night()
        self.assertEqual(self._proposal(client).rule_id, self.rule)
        self.env["ir.config_parameter"].set_param("sales_roles.proposal_cooldown_days", "soon")
        with self.assertLogs("odoo.addons.sales_roles.models.sales_handover", "WARNING"):
            self.assertEqual(self.Handover._cooldown_days(), 30)

    def test_expired_proposals_are_cancelled_and_proposed_again(self):
        client = self._won_client("Forgotten")
        self._night()
        proposal = self._proposal(client)
        proposal.date = fields.Datetime.now() - timedelta(days=15)
        self._night()
        self.assertEqual(proposal.state, "cancelled")
        self.assertIn("expired", proposal.reason)
        fresh = self._proposal(client)
        self.assertTrue(fresh, "the client still matches: proposed again with today's figures")
        self.assertNotEqual(fresh, proposal)
        self.assertEqual(len(self._todos()), 1)

        self.env["ir.config_parameter"].set_param("sales_roles.proposal_expiry_days", "20")
        fresh.date = fields.Datetime.now() - timedelta(days=15)
        self._night()
        self.assertEqual(fresh.state, "proposed")
        self.env["ir.config_parameter"].set_param("sales_roles.proposal_expiry_days", "0")
        self.assertEqual(self.Handover._expiry_days(), 1, "kept within its bounds")

    def test_settings_are_validated(self):
        Settings = self.env["res.config.settings"]
        settings = Settings.create({})
        self.assertEqual(
            (settings.sales_roles_proposal_cooldown_days, settings.sales_roles_proposal_expiry_days), (30, 14)
        )
        for vals in (
            {"sales_roles_proposal_cooldown_days": -1},
            {"sales_roles_proposal_expiry_days": 0},
            {"sales_roles_proposal_expiry_days": 1000},
        ):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                Settings.create(vals)
        Settings.create(
            {"sales_roles_proposal_cooldown_days": 7, "sales_roles_proposal_expiry_days": 3}
        ).execute()
        self.assertEqual(self.Handover._cooldown_days(), 7)
        self.assertEqual(self.Handover._expiry_days(), 3)

    # ------------------------------------------------------------
    # Reports count actual changes
    # ------------------------------------------------------------

    def test_reports_count_done_handovers_only(self):
        client = self._won_client("Reported")
        self._night()
        proposal = self._proposal(client)
        self.env.flush_all()
        Report = self.env["sales.hunter.report"]
        self.assertEqual(Report.search([("partner_id", "=", client.id)]).handed_over_count, 0)
        self.assertEqual(client.with_user(self.manager).handover_count, 0)
        self.assertFalse(client.with_user(self.manager).handover_ids)
        action = client.with_user(self.manager).action_view_handovers()
        self.assertEqual(action["context"].get("search_default_done"), 1)
        log_action = self.env["ir.actions.act_window"]._for_xml_id("sales_roles.sales_handover_action")
        self.assertIn("search_default_done", log_action["context"])

        proposal.action_approve()
        self.env.flush_all()
        self.assertEqual(Report.search([("partner_id", "=", client.id)]).handed_over_count, 1)
        client.invalidate_recordset()
        self.assertEqual(client.with_user(self.manager).handover_count, 1)


@tagged("post_install", "-at_install")
class TestProposalScale(ProposalsCase):
    def _proposals(self, count):
        """``count`` pending proposals of new clients of the hunter, to both farmers."""
        clients = self.env["res.partner"].create(
            [
                {"name": f"Batch {count} {i}", "is_company": True, "user_id": self.hunter.id}
                for i in range(count)
            ]
        )
        clients.write({"sales_lifecycle_state": "new"})
        self.Handover._propose_moves(
            [
                Move(
                    client_id=client.id,
                    rule_id=self.rule.id,
                    from_user_id=self.hunter.id,
                    to_user_id=self.farmers[i % 2].id,
                    from_state="new",
                    to_state="regular",
                    team_id=self.farm_team.id,
                    order_count=0,
                    sales_total=0.0,
                    company_id=self.company.id,
                    propose=True,
                )
                for i, client in enumerate(clients)
            ]
        )
        return self._proposal(clients), clients

    def test_batch_approval_in_a_constant_number_of_queries(self):
        for count in (20, 500):
            proposals, clients = self._proposals(count)
            proposals = proposals.with_user(self.approver)
            self.env.flush_all()
            self.env.invalidate_all()
            # The same number for 20 and 500 (one more since the service standards joined).
            with self.subTest(count=count), self.assertQueryCount(__system__=77):
                proposals.action_approve()
            self.assertEqual(set(proposals.mapped("state")), {"done"})
            self.assertEqual(set(clients.mapped("sales_lifecycle_state")), {"regular"})
            self.assertEqual(clients.user_id, self.farmers)
            self.assertEqual(len(clients.activity_ids), count)

    def test_batch_rejection_in_a_constant_number_of_queries(self):
        for count in (20, 200):
            proposals, clients = self._proposals(count)
            proposals = proposals.with_user(self.approver)
            self.env.flush_all()
            self.env.invalidate_all()
            with self.subTest(count=count), self.assertQueryCount(__system__=40):
                proposals.action_reject("Too early")
            self.assertEqual(set(proposals.mapped("state")), {"rejected"})
            self.assertEqual(
                len(clients.message_ids.filtered(lambda m: "Too early" in (m.body or ""))), count
            )
