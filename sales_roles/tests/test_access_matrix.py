"""Who may do what: each model and action of the addon × each kind of user.

The expected outcomes are the table published in readme/CONFIGURE.md: the test
measures every cell by really trying the operation (rolled back), compares it
with the table, and fails when code and documentation part ways.
"""

import re
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.sales_roles.models.sales_handover_engine import Move

from .common import SalesRolesCase

CONFIGURE = Path(__file__).resolve().parents[1] / "readme" / "CONFIGURE.md"
KINDS = ["portal", "internal", "own", "all", "admin", "other_company"]


@tagged("post_install", "-at_install")
class TestAccessMatrix(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_a = cls.company
        cls.company_b = cls.env["res.company"].create({"name": "Other Company"})
        # Salespeople and administrators as Settings > Users creates them: with
        # Contact Creation and Product Creation.
        cls.users = {
            "portal": new_test_user(cls.env, "am_portal", groups="base.group_portal"),
            "internal": new_test_user(cls.env, "am_internal", groups="base.group_user"),
            "own": cls._settings_user("am_own", "sales_team.group_sale_salesman"),
            "all": cls._settings_user("am_all", "sales_team.group_sale_salesman_all_leads"),
            "admin": cls._settings_user("am_admin", "sales_team.group_sale_manager"),
            "other_company": cls._settings_user(
                "am_other",
                "sales_team.group_sale_manager",
                company_id=cls.company_b.id,
                company_ids=[Command.set(cls.company_b.ids)],
            ),
        }
        cls.rule = cls._rule(
            [{"criterion": "order_count", "min_count": 2}], assign_method="keep", company_id=company_a.id
        )
        cls.territory = cls.env["sales.territory"].create({"name": "North", "company_id": company_a.id})
        cls.own_client = cls._client("Own client", user_id=cls.users["own"].id, company_id=company_a.id)
        cls.other_client = cls._client("Other's client", user_id=cls.hunter.id, company_id=company_a.id)
        for client in cls.own_client | cls.other_client:
            owner = client.user_id
            cls.env["sales.handover.wizard"].create(
                {"partner_ids": [Command.set(client.ids)], "user_id": cls.farmer.id, "reason": "Setup"}
            ).action_confirm()
            client.user_id = owner  # back to its owner for the wizard cases
        cls.own_log = cls.own_client.handover_ids
        cls.log = cls.other_client.handover_ids
        # A confirmed order of the "own documents" salesperson, stamped by the system.
        cls.product_a = cls.env["product.product"].create({"name": "Company A's", "company_id": company_a.id})
        cls.own_order = cls._order(cls.own_client, user=cls.users["own"])
        # A proposal of a rule that requires approval, named approver: none of the users.
        approval_rule = cls._rule(
            [{"criterion": "order_count", "min_count": 2}],
            name="With approval",
            assign_method="keep",
            approval_required=True,
            company_id=company_a.id,
        )
        proposed = cls._client("Proposed client", user_id=cls.hunter.id, company_id=company_a.id)
        proposed.sales_lifecycle_state = "new"
        cls.env["sales.handover"]._propose_moves(
            [
                Move(
                    client_id=proposed.id,
                    rule_id=approval_rule.id,
                    from_user_id=cls.hunter.id,
                    to_user_id=cls.hunter.id,
                    from_state="new",
                    to_state="regular",
                    team_id=False,
                    order_count=2,
                    sales_total=200.0,
                    company_id=company_a.id,
                    propose=True,
                )
            ]
        )
        cls.proposal = cls.env["sales.handover"].search([("partner_id", "=", proposed.id)])
        # Service level: both clients new clients, under a standard (in the Service Level report).
        cls.other_client.sales_lifecycle_state = "new"
        cls.standard = cls.env["sales.service.standard"].create(
            {"name": "New clients: every 7 days", "lifecycle_state": "new", "contact_interval_days": 7}
        )
        cls.env["sales.service.engine"]._refresh_service_figures()
        # Targets set by the Sales Director on a product line nobody manages.
        cls.category = cls.env["product.category"].create({"name": "Matrix Line"})
        target = {
            "date_from": "2025-01-01",
            "date_to": "2025-03-31",
            "amount": 1000.0,
            "product_categ_ids": [Command.set(cls.category.ids)],
            "company_id": company_a.id,
        }
        Target = cls.env["sales.target"].with_user(cls.manager)
        cls.own_target = Target.create({**target, "user_id": cls.users["own"].id}).sudo()
        cls.other_target = Target.create({**target, "user_id": cls.hunter.id}).sudo()

    # ------------------------------------------------------------
    # Measuring one cell
    # ------------------------------------------------------------

    def _crud(self, record, create_vals, write_vals):
        """The letters of R, C, W, D the user of ``record``'s env may do on it."""
        Model = record.browse()
        checks = {
            "R": lambda: record.read(["display_name"]),
            "C": lambda: Model.create(create_vals),
            "W": lambda: record.write(write_vals),
            "D": lambda: record.unlink(),
        }
        return "".join(letter for letter, check in checks.items() if self._can(check)) or "-"

    def _measure(self, kind):
        user = self.users[kind]
        env = self.env(user=user, context=dict(self.env.context, allowed_company_ids=user.company_ids.ids))
        rule = self.rule.with_env(env)
        cells = {
            "Handover rules": self._crud(
                rule,
                {
                    "name": "New",
                    "assign_method": "keep",
                    "condition_ids": [Command.create({"criterion": "order_count", "min_count": 1})],
                },
                {"name": "Renamed"},
            ),
            "Rule conditions": self._crud(
                self.rule.condition_ids.with_env(env),
                {"rule_id": self.rule.id, "criterion": "order_count", "min_count": 5},
                {"min_count": 4},
            ),
            "Sales positions": self._crud(
                self.env.ref("sales_roles.position_scout").with_env(env),
                {"name": "Spotter", "sales_role": "scout"},
                {"name": "Renamed"},
            ),
            "Sales territories": self._crud(
                self.territory.with_env(env), {"name": "South"}, {"name": "Renamed"}
            ),
            "Handover log": self._crud(
                self.own_log.with_env(env), {"partner_id": self.own_client.id}, {"reason": "Forged"}
            ),
            "Sales targets": self._crud(
                self.other_target.with_env(env),
                {"user_id": user.id, "date_from": "2025-01-01", "date_to": "2025-03-31", "amount": 5.0},
                {"amount": 5.0},
            ),
        }
        cells["Read the handover log"] = self._log_access(env)
        own = self._can(lambda: self._hand_over(env, self.own_client))
        others = self._can(lambda: self._hand_over(env, self.other_client))
        cells["Hand over clients"] = "any" if others else "own" if own else "-"
        cells["Hand over, changing the lifecycle state"] = (
            "yes" if self._can(lambda: self._hand_over(env, self.own_client, to_state="regular")) else "-"
        )
        cells["Hand a client over to yourself"] = (
            "yes" if self._can(lambda: self._hand_over(env, self.other_client, owner=user)) else "-"
        )
        cells["Preview a rule"] = "yes" if self._can(rule.action_preview) else "-"
        cells["Run a rule now"] = "yes" if self._can(rule.action_run) else "-"
        cells["Set a rule's run progress"] = (
            "yes" if self._can(lambda: rule.write({"run_requested": True, "run_done_count": 1})) else "-"
        )
        proposal = self.proposal.with_env(env)
        decisions = [
            self._can(lambda: proposal.write({"to_user_id": self.farmer.id})),
            self._can(proposal.action_approve),
            self._can(lambda: proposal.action_reject("Access check")),
        ]
        cells["Decide on a handover proposal"] = (
            "yes" if all(decisions) else "-" if not any(decisions) else str(decisions)
        )
        cells["Set a client's hunter or exclusion"] = (
            "yes" if self._can(lambda: self.other_client.with_env(env).write({"hunter_id": user.id})) else "-"
        )
        cells["Set a client's lifecycle state"] = (
            "yes"
            if self._can(lambda: self.other_client.with_env(env).write({"sales_lifecycle_state": "key"}))
            else "-"
        )
        cells["Delete a client with handovers"] = (
            "yes" if self._can(lambda: self.other_client.with_env(env).unlink()) else "-"
        )
        cells["Set a product manager"] = (
            "yes"
            if self._can(lambda: self.product_a.with_env(env).write({"product_manager_id": user.id}))
            else "-"
        )
        cells["Edit stamped order fields"] = "yes" if self._can(lambda: self._edit_stamps(env)) else "-"
        cells["Sales Matrix"] = self._matrix_access(env)
        cells["Service standards"] = self._crud(
            self.standard.with_env(env),
            {"name": "Key accounts", "lifecycle_state": "key", "contact_interval_days": 14},
            {"name": "Renamed"},
        )
        cells["Set a client's service figures"] = (
            "yes"
            if self._can(
                lambda: self.other_client.with_env(env).write({"service_status": "overdue", "at_risk": True})
            )
            else "-"
        )
        cells["Service Level report"] = self._service_level_access(env)
        cells["Read sales targets"] = self._targets_access(env)
        cells["Set targets on the products one manages"] = (
            "yes" if self._can(lambda: self._set_managed_target(env, user)) else "-"
        )
        cells["Schedule tasks from a target"] = (
            "yes"
            if self._can(
                lambda: env["sales.target.task"]._schedule(
                    self.own_target.with_env(env),
                    self.own_client,
                    "cross_sell",
                    self.env.ref("mail.mail_activity_data_call"),
                    "Call",
                    "2025-02-01",
                )
            )
            else "-"
        )
        cells["Hunters & Farmers dashboard"] = "yes" if self._can(lambda: self._open_dashboard(env)) else "-"
        cells["Settings"] = (
            "yes"
            if self._can(
                lambda: env["res.config.settings"].create({"sales_roles_auto_handover": False}).execute()
            )
            else "-"
        )
        return cells

    def _hand_over(self, env, client, owner=None, to_state=False):
        wizard = env["sales.handover.wizard"].create(
            {
                "partner_ids": [Command.set(client.ids)],
                "user_id": (owner or self.farmer).id,
                "to_state": to_state,
                "reason": "Access check",
            }
        )
        wizard.action_confirm()

    def _log_access(self, env):
        try:
            logs = env["sales.handover"].search([("id", "in", (self.own_log | self.log).ids)])
        except AccessError:
            return "-"
        return {
            frozenset(): "none",
            frozenset(self.own_log.ids): "own",
            frozenset((self.own_log | self.log).ids): "all",
        }.get(frozenset(logs.ids), str(logs.ids))

    def _edit_stamps(self, env):
        order = self.own_order.with_env(env)
        order.write({"hunter_id": self.hunter.id, "sales_lifecycle_state": "key"})
        order.order_line.write({"product_manager_id": self.hunter.id})

    def _targets_access(self, env):
        try:
            targets = env["sales.target"].search([("id", "in", (self.own_target | self.other_target).ids)])
        except AccessError:
            return "-"
        return {
            frozenset(): "none",
            frozenset(self.own_target.ids): "own",
            frozenset((self.own_target | self.other_target).ids): "all",
        }.get(frozenset(targets.ids), str(targets.ids))

    def _set_managed_target(self, env, user):
        """The user, made the manager of a product line, sets themselves a target on it."""
        self.category.product_manager_id = user
        env["sales.target"].create(
            {
                "user_id": user.id,
                "date_from": "2025-01-01",
                "date_to": "2025-03-31",
                "amount": 5.0,
                "product_categ_ids": [Command.set(self.category.ids)],
            }
        )

    def _matrix_access(self, env):
        mine = self._order(self.own_client, user=self.users["own"])
        theirs = self._order(self.other_client, user=self.hunter)
        self.env.flush_all()
        try:
            lines = env["sale.report"].search([("name", "in", (mine | theirs).mapped("name"))])
            seen = set(lines.mapped("name"))
        except AccessError:
            return "-"
        return {
            frozenset(): "none",
            frozenset({mine.name}): "own",
            frozenset({mine.name, theirs.name}): "all",
        }.get(frozenset(seen), str(sorted(seen)))

    def _open_dashboard(self, env):
        dashboard = self.env.ref("sales_roles.spreadsheet_dashboard_hunters_farmers").with_env(env)
        dashboard.check_access("read")  # listed in Dashboards
        dashboard.get_readonly_dashboard()

    def _service_level_access(self, env):
        self.env.flush_all()
        clients = self.own_client | self.other_client
        try:
            seen = env["sales.service.report"].search([("partner_id", "in", clients.ids)]).partner_id
        except AccessError:
            return "-"
        return {
            frozenset(): "none",
            frozenset(self.own_client.ids): "own",
            frozenset(clients.ids): "all",
        }.get(frozenset(seen.ids), str(seen.ids))

    # ------------------------------------------------------------
    # The table
    # ------------------------------------------------------------

    def _published_table(self):
        """{row: {kind: cell}} read from the markdown table of CONFIGURE.md."""
        lines = [line for line in CONFIGURE.read_text().splitlines() if line.startswith("|")]
        table = {}
        for line in lines[2:]:
            cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
            table[cells[0]] = dict(zip(KINDS, cells[1:], strict=True))
        return table

    def test_access_matrix_matches_the_published_table(self):
        published = self._published_table()
        self.assertTrue(published, "CONFIGURE.md has the access table")
        for kind in KINDS:
            measured = self._measure(kind)
            for row, cell in measured.items():
                with self.subTest(kind=kind, row=row):
                    self.assertIn(row, published, f"row {row!r} missing from CONFIGURE.md")
                    self.assertEqual(cell, published[row][kind])
        self.assertEqual(len(published), 28)

    def test_cell_values_are_documented(self):
        legend = CONFIGURE.read_text()
        for token in ("R", "C", "W", "D", "own", "any", "all", "none"):
            self.assertTrue(re.search(rf"`{token}`", legend), f"legend explains {token}")
