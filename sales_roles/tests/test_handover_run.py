from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models import sales_handover_engine, sales_handover_rule
from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHandoverRun(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["sales.handover.rule"]
        cls.farmer_2 = new_test_user(
            cls.env, "sr_farmer_2", groups="sales_team.group_sale_salesman", name="Frank Farmer"
        )
        farmer_position = cls.env.ref("sales_roles.position_account_manager")
        (cls.farmer | cls.farmer_2).sales_position_id = farmer_position
        cls.hunter.sales_position_id = cls.env.ref("sales_roles.position_tele_sales")
        cls.farm_team = cls.env["crm.team"].create(
            {
                "name": "Account Management",
                "member_ids": [(6, 0, (cls.farmer | cls.farmer_2 | cls.hunter).ids)],
            }
        )

    def _won_client(self, name, orders=3, **vals):
        client = self._client(name, user_id=self.hunter.id, **vals)
        for _i in range(orders):
            self._order(client, user=self.hunter)
        return client

    def _third_order_rule(self, **vals):
        return self._rule(
            [{"criterion": "order_count", "min_count": 3}],
            name=vals.pop("name", "After the 3rd order"),
            target_team_id=vals.pop("target_team_id", self.farm_team.id),
            **vals,
        )

    def test_handover_moves_client_and_contacts_with_audit_trail(self):
        client = self._won_client("Lumber Inc")
        contact = self.env["res.partner"].create(
            {"name": "Jane", "parent_id": client.id, "user_id": self.hunter.id}
        )
        rule = self._third_order_rule()
        self.Rule._cron_run_handover()

        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertIn(client.user_id, self.farmer | self.farmer_2, "a farmer of the team, not the hunter")
        self.assertEqual(client.hunter_id, self.hunter, "a handover never changes the hunter")
        self.assertEqual(client.team_id, self.farm_team)
        self.assertTrue(client.handover_date)
        self.assertEqual(contact.user_id, client.user_id, "contacts follow their company")
        self.assertEqual(contact.team_id, self.farm_team)
        self.assertEqual(contact.sales_lifecycle_state, "regular")

        handover = client.handover_ids
        self.assertEqual(len(handover), 1)
        self.assertRecordValues(
            handover,
            [
                {
                    "from_user_id": self.hunter.id,
                    "to_user_id": client.user_id.id,
                    "rule_id": rule.id,
                    "from_state": "new",
                    "to_state": "regular",
                    "trigger": "auto",
                    "order_count": 3,
                    "sales_total": 300.0,
                    "company_id": self.company.id,
                }
            ],
        )
        message = client.message_ids.filtered(lambda m: "After the 3rd order" in (m.body or ""))
        self.assertEqual(len(message), 1, "the chatter says which rule fired")
        self.assertIn("300", message.body)
        activity = client.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, client.user_id)
        self.assertIn(self.hunter.partner_id, client.message_partner_ids, "the hunter stays a follower")
        self.assertIn(client.user_id.partner_id, client.message_partner_ids)
        self.assertEqual(rule.last_run_count, 1)

    def test_second_run_creates_nothing(self):
        client = self._won_client("Once")
        self._third_order_rule()
        self.Rule._cron_run_handover()
        self.Rule._cron_run_handover()
        self.assertEqual(len(client.handover_ids), 1)
        self.assertEqual(len(client.activity_ids), 1)

    def test_blocked_client_untouched(self):
        client = self._won_client("Blocked")
        client.handover_blocked = True
        self._third_order_rule()
        self.Rule._cron_run_handover()
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertEqual(client.user_id, self.hunter)
        self.assertFalse(client.handover_ids)

    def test_first_rule_by_sequence_wins(self):
        client = self._won_client("Both rules")
        late = self._third_order_rule(name="Late", sequence=20, target_user_ids=[(6, 0, self.farmer_2.ids)])
        early = self._rule(
            [{"criterion": "sales_total", "min_amount": 100}],
            name="Early",
            sequence=5,
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        self.Rule._cron_run_handover()
        self.assertEqual(client.handover_ids.rule_id, early)
        self.assertEqual(client.user_id, self.farmer)
        late.sequence = 1
        client2 = self._won_client("Both rules 2")
        self.Rule._cron_run_handover()
        self.assertEqual(client2.handover_ids.rule_id, late)
        self.assertEqual(client2.user_id, self.farmer_2)

    def test_least_loaded(self):
        # farmer already owns two regular clients, farmer_2 none
        for name in ("Old 1", "Old 2"):
            self._client(name, user_id=self.farmer.id, sales_lifecycle_state="regular")
        clients = [self._won_client(f"Client {i}") for i in range(4)]
        self._third_order_rule()
        self.Rule._cron_run_handover()
        owners = [client.user_id for client in clients]
        # farmer_2 takes the first two (0 then 1 client against 2), then they alternate, ties to the lowest id
        self.assertEqual(owners[:2], [self.farmer_2, self.farmer_2])
        self.assertEqual(sorted(u.id for u in owners[2:]), sorted([self.farmer.id, self.farmer_2.id]))
        self.assertEqual(owners[2], min(self.farmer, self.farmer_2, key=lambda u: u.id))

    def test_round_robin_is_remembered(self):
        farmers = (self.farmer | self.farmer_2).sorted("id")
        rule = self._third_order_rule(assign_method="round_robin", target_user_ids=[(6, 0, farmers.ids)])
        first = [self._won_client(f"RR {i}") for i in range(3)]
        self.Rule._cron_run_handover()
        self.assertEqual([c.user_id for c in first], [farmers[0], farmers[1], farmers[0]])
        self.assertEqual(rule.last_assigned_user_id, farmers[0])
        second = self._won_client("RR next")
        self.Rule._cron_run_handover()
        self.assertEqual(second.user_id, farmers[1], "the rotation goes on where it stopped")

    def test_keep_owner_changes_state_only(self):
        client = self._won_client("Sleepy")
        client.write({"sales_lifecycle_state": "regular", "user_id": self.farmer.id})
        self._rule(
            [{"criterion": "order_count", "min_count": 1}],
            name="Dormant",
            from_state="regular",
            to_state="dormant",
            assign_method="keep",
        )
        self.Rule._cron_run_handover()
        self.assertEqual(client.sales_lifecycle_state, "dormant")
        self.assertEqual(client.user_id, self.farmer)
        self.assertEqual(client.handover_ids.to_user_id, self.farmer)
        self.assertEqual(client.activity_ids.user_id, self.farmer, "the owner is alerted to win it back")

    def test_team_candidates_are_its_farmers(self):
        rule = self._third_order_rule()
        self.assertEqual(rule._candidate_owners(), (self.farmer | self.farmer_2).sorted("id"))

    def test_rule_without_candidate_is_skipped_and_others_run(self):
        empty_team = self.env["crm.team"].create({"name": "Nobody", "member_ids": [(6, 0, self.hunter.ids)]})
        client = self._won_client("Waiting")
        other = self._won_client("Big", orders=3)
        broken = self._third_order_rule(name="No farmer", target_team_id=empty_team.id, sequence=1)
        working = self._rule(
            [{"criterion": "sales_total", "min_amount": 300}],
            name="Working",
            sequence=2,
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        with self.assertLogs("odoo.addons.sales_roles.models.sales_handover_rule", "WARNING") as logs:
            self.Rule._cron_run_handover()
        self.assertIn("No farmer", logs.output[0])
        self.assertIn("No one can receive", broken.last_run_message)
        # the broken rule matched both clients but could not move them: the next rule could
        self.assertEqual((client | other).user_id, self.farmer)
        self.assertEqual(working.last_run_count, 2)

    def test_invalid_domain_at_run_time_is_reported(self):
        client = self._won_client("Domain")
        rule = self._third_order_rule(sequence=1)
        good = self._rule(
            [{"criterion": "order_count", "min_count": 1}],
            name="Good",
            sequence=2,
            assign_method="keep",
            to_state="key",
        )
        # A field that no longer exists (e.g. its module was uninstalled): bypass the constraint.
        self.env.cr.execute(
            "UPDATE sales_handover_rule SET partner_domain = %s WHERE id = %s",
            ["[('x_gone', '=', 1)]", rule.id],
        )
        rule.invalidate_recordset(["partner_domain"])
        with self.assertLogs("odoo.addons.sales_roles.models.sales_handover_rule", "WARNING"):
            self.Rule._cron_run_handover()
        self.assertIn("x_gone", rule.last_run_message)
        self.assertEqual(client.sales_lifecycle_state, "key", "the other rules ran")
        self.assertEqual(good.last_run_count, 1)

    def test_user_change_wins_over_the_plan(self):
        client = self._won_client("Contested")
        rule = self._third_order_rule()
        moves = rule._plan_handovers().moves
        self.assertEqual(len(moves), 1)
        client.user_id = self.hunter_2  # a user reassigns it meanwhile
        applied = self.env["sales.handover"]._apply_moves(moves)
        self.assertEqual(applied, [])
        self.assertEqual(client.user_id, self.hunter_2)
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertFalse(client.handover_ids)

    def test_evaluation_query_count_does_not_grow(self):
        rule = self._third_order_rule()
        for i in range(5):
            self._won_client(f"Small {i}")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=15):
            moves = rule._plan_handovers().moves
        self.assertEqual(len(moves), 5)
        for i in range(45):
            self._won_client(f"Large {i}")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=15):
            moves = rule._plan_handovers().moves
        self.assertEqual(len(moves), 50)

    def test_owner_load_has_its_index(self):
        # made by init(); its predicate must stay the one of _owned_clients
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'res_partner_sales_roles_owned_clients_index'"
        )
        (definition,) = self.env.cr.fetchone()
        self.assertIn("(user_id) WHERE", definition)
        self.assertIn("sales_lifecycle_state", definition)

    def _row_version(self, record):
        """The physical row of ``record``: any UPDATE of it, even to the same values, changes it."""
        self.env.flush_all()
        self.env.cr.flush()  # and what the setup left for the commit (the clients' service figures)
        self.env.cr.execute(f'SELECT ctid::text FROM "{record._table}" WHERE id = %s', [record.id])
        return self.env.cr.fetchone()[0]

    def test_preview_changes_nothing(self):
        client = self._won_client("Preview me")
        farmers = (self.farmer | self.farmer_2).sorted("id")
        rule = self._third_order_rule(assign_method="round_robin", target_user_ids=[(6, 0, farmers.ids)])
        rows = (self._row_version(rule), self._row_version(client))
        proposed = []
        for _i in range(3):
            action = rule.with_user(self.farmer).action_preview()
            lines = self.env[action["res_model"]].with_user(self.farmer).search(action["domain"])
            self.assertEqual(lines.partner_id, client)
            self.assertEqual((lines.order_count, lines.sales_total), (3, 300.0))
            self.assertEqual(lines.user_id, self.hunter)
            proposed.append(lines.to_user_id)
        self.assertEqual(proposed, [farmers[0]] * 3, "previewing again does not turn the round robin")
        self.assertEqual((self._row_version(rule), self._row_version(client)), rows, "nothing written")
        self.assertFalse(rule.last_assigned_user_id)
        self.assertEqual(client.sales_lifecycle_state, "new")
        self.assertFalse(client.handover_ids)
        self.Rule._cron_run_handover()
        self.assertEqual(client.user_id, farmers[0], "the run gives the client to the proposed owner")

    def test_preview_lines_cannot_be_forged(self):
        """A preview is the plan of its rule: its clients are not the user's input.
        Forged, its lines would show, through the client's related fields read as
        superuser, the hunter and state of another company's client."""
        company_b = self.env["res.company"].create({"name": "Company B"})
        client_b = self._client("Client B", company_id=company_b.id, hunter_id=self.hunter_2.id)
        rule = self._third_order_rule()
        forged = {"rule_id": rule.id, "moves": [[client_b.id, None, self.farmer.id, 9, 9.0]]}
        Preview = self.env["sales.handover.preview"].with_user(self.farmer)
        with self.assertRaises(AccessError):
            Preview.create(forged)
        preview = Preview.browse(rule.with_user(self.farmer).action_preview()["domain"][0][2])
        with self.assertRaises(AccessError):
            preview.write({"moves": forged["moves"]})

    def test_preview_shows_why_a_rule_cannot_run(self):
        empty_team = self.env["crm.team"].create({"name": "Nobody", "member_ids": [(6, 0, self.hunter.ids)]})
        client = self._won_client("Orphan")
        rule = self._third_order_rule(target_team_id=empty_team.id)
        action = rule.action_preview()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("No one can receive", action["params"]["message"])
        lines = self.env[action["params"]["next"]["res_model"]].search(action["params"]["next"]["domain"])
        self.assertFalse(lines, "nobody to propose")
        self.assertFalse(rule.last_run_message, "a preview does not write on the rule")
        self.assertEqual(client.user_id, self.hunter)

    def test_preview_of_many_clients_opens_a_list_not_their_ids(self):
        clients = [self._won_client(f"Many {i}") for i in range(30)]
        rule = self._third_order_rule()
        action = rule.action_preview()
        self.assertEqual(len(action["domain"]), 1, "a domain on the preview, not a list of clients")
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(set(lines.partner_id.ids), {client.id for client in clients})
        self.assertIn("30", action["name"])

    def test_preview_and_its_first_page_in_constant_queries(self):
        rule = self._third_order_rule().with_user(self.farmer)
        specification = {
            "partner_id": {"fields": {"display_name": {}}},
            "hunter_id": {"fields": {"display_name": {}}},
            "to_user_id": {"fields": {"display_name": {}}},
            "order_count": {},
            "sales_total": {},
        }
        Line = self.env["sales.handover.preview.line"].with_user(self.farmer)

        def open_preview():
            action = rule.action_preview()
            return Line.web_search_read(
                action["domain"], specification, limit=10, order="sales_total desc, id"
            )

        clients = []
        for count in (3, 12, 60):
            clients += [self._won_client(f"Paged {len(clients) + i}") for i in range(count - len(clients))]
            self.env.flush_all()
            self.env.invalidate_all()
            if count == 3:
                page = open_preview()  # fills the caches (record rules...)
            else:
                with self.assertQueryCount(__system__=27):
                    page = open_preview()
            self.assertEqual(page["length"], count)
            self.assertEqual(len(page["records"]), min(count, 10))
            self.assertEqual(page["records"][0]["order_count"], 3)

    def test_preview_evaluates_only_the_rules_tried_before(self):
        rule = self._third_order_rule(sequence=10)
        later = self._rule(
            [{"criterion": "order_count", "min_count": 1}],
            sequence=20,
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        earlier = self._rule(
            [{"criterion": "order_count", "min_count": 2}],
            sequence=5,
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        self.assertEqual(rule._rules_to_preview_with(), earlier | rule)
        self.assertNotIn(later, rule._rules_to_preview_with())

    def test_run_now_for_administrators(self):
        client = self._won_client("Now")
        rule = self._third_order_rule()
        rule.with_user(self.manager).action_run()
        self.assertEqual(client.sales_lifecycle_state, "regular")

    def test_run_now_of_many_clients_runs_in_the_background(self):
        clients = [self._won_client(f"Background {i}") for i in range(3)]
        rule = self._third_order_rule()
        other = self._client("Another rule's", user_id=self.hunter.id)
        self._order(other, amount=5000)
        self._rule(
            [{"criterion": "sales_total", "min_amount": 1000}],
            name="Not asked for",
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        cron = self.env.ref("sales_roles.ir_cron_sales_handover_requested")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with patch.object(sales_handover_rule, "RUN_NOW_LIMIT", 2):
            action = rule.with_user(self.manager).action_run()
        self.assertIn("3 client(s) to hand over", action["params"]["message"])
        self.assertEqual({client.sales_lifecycle_state for client in clients}, {"new"}, "not in the request")
        self.assertRecordValues(rule, [{"run_requested": True, "run_done_count": 0, "run_total_count": 3}])
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)

        # A call of the scheduled action that stops after one batch of two.
        with (
            patch.object(sales_handover_engine, "BATCH_SIZE", 2),
            patch.object(sales_handover_engine, "TIME_BUDGET", -1),
        ):
            cron.method_direct_trigger()
        self.assertRecordValues(rule, [{"run_requested": True, "run_done_count": 2, "run_total_count": 3}])
        self.assertEqual(
            sorted(client.sales_lifecycle_state for client in clients), ["new", "regular", "regular"]
        )
        progress = self.env["ir.cron.progress"].search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        self.assertEqual((progress.done, progress.remaining), (2, 1), "ir.cron calls again")

        cron.method_direct_trigger()
        self.assertRecordValues(rule, [{"run_requested": False, "run_done_count": 3, "run_total_count": 3}])
        self.assertEqual({client.sales_lifecycle_state for client in clients}, {"regular"})
        self.assertEqual(other.sales_lifecycle_state, "new", "only the rule asked for runs")
        cron.method_direct_trigger()
        self.assertEqual(rule.last_run_count, 1, "nothing asked for: nothing runs (it would find 0)")

    def test_run_now_asked_for_an_archived_rule_does_not_run(self):
        client = self._won_client("Archived meanwhile")
        rule = self._third_order_rule()
        with patch.object(sales_handover_rule, "RUN_NOW_LIMIT", 0):
            rule.with_user(self.manager).action_run()
        rule.active = False
        self.env.ref("sales_roles.ir_cron_sales_handover_requested").method_direct_trigger()
        self.assertFalse(rule.run_requested)
        self.assertEqual(client.sales_lifecycle_state, "new")

    def test_run_progress_is_the_system_s(self):
        rule = self._third_order_rule()
        for user in (self.manager, self._settings_user("sr_admin_ui", "sales_team.group_sale_manager")):
            with self.assertRaises(AccessError):
                rule.with_user(user).write({"run_requested": True})
            with self.assertRaises(AccessError):
                rule.with_user(user).write({"run_done_count": 7})
            with self.assertRaises(AccessError):
                rule.with_user(user).copy({"run_total_count": 9})
            with self.assertRaises(AccessError):
                rule.with_user(user).with_context(default_run_requested=True).copy()
            rule.with_user(user).write({"run_requested": False, "name": "Renamed"})  # unchanged: fine
        self.assertFalse(rule.run_requested)

    def test_scheduled_action(self):
        client = self._won_client("Nightly")
        self._third_order_rule()
        self.env.ref("sales_roles.ir_cron_sales_handover").method_direct_trigger()
        self.assertEqual(client.sales_lifecycle_state, "regular")

    def test_company_b_rule_never_touches_company_a_client(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        self.farmer.company_ids |= company_b
        client_a = self._won_client("A only", company_id=self.company.id)
        self._rule(
            [{"criterion": "sales_total", "min_amount": 1}],
            company_id=company_b.id,
            target_user_ids=[(6, 0, self.farmer.ids)],
        )
        self.Rule._cron_run_handover()
        self.assertEqual(client_a.sales_lifecycle_state, "new")
        self.assertEqual(client_a.user_id, self.hunter)

    def test_salesman_cannot_edit_rules_or_log(self):
        rule = self._third_order_rule()
        self.assertEqual(rule.with_user(self.hunter).name, "After the 3rd order", "salesmen read the rules")
        with self.assertRaises(AccessError):
            rule.with_user(self.hunter).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.hunter).create({"name": "Mine", "assign_method": "keep"})
        client = self._won_client("Logged")
        self.Rule._cron_run_handover()
        handover = client.handover_ids.with_user(self.hunter)
        self.assertEqual(handover.to_state, "regular", "salesmen read the log")
        with self.assertRaises(AccessError):
            handover.write({"reason": "forged"})
        with self.assertRaises(AccessError):
            handover.unlink()
        with self.assertRaises(AccessError):
            handover.with_user(self.manager).write({"reason": "forged"})


@tagged("post_install", "-at_install")
class TestHandoverRuleConstraints(SalesRolesCase):
    def test_thresholds(self):
        bad_conditions = [
            {"criterion": "order_count", "min_count": 0},
            {"criterion": "order_count", "min_count": -3},
            {"criterion": "sales_total", "min_amount": 0},
            {"criterion": "sales_total", "min_amount": -5},
            {"criterion": "sales_total", "min_amount": 10**16},
            {"criterion": "order_count", "min_count": 2, "period_months": -1},
            {"criterion": "min_order_amount", "min_amount": 100, "period_months": 0},
            {"criterion": "product_purchased"},
            {"criterion": "inactivity", "inactivity_days": 0},
        ]
        for condition in bad_conditions:
            with self.subTest(condition=condition), self.assertRaises(ValidationError):
                self._rule([condition], assign_method="keep")
        self.assertFalse(
            self.env["sales.handover.rule"].search([("name", "=", "Test rule")]), "nothing written"
        )

    def test_rule_shape(self):
        ok = [{"criterion": "order_count", "min_count": 2}]
        with self.assertRaises(ValidationError):
            self._rule(ok, assign_method="keep", from_state="new", to_state="new")
        with self.assertRaises(ValidationError):
            self._rule(ok, assign_method="least_loaded")  # reassigns, but to whom?
        with self.assertRaises(ValidationError):
            self._rule([], assign_method="keep")  # would move every client
        with self.assertRaises(ValidationError):
            self._rule(ok, assign_method="keep", partner_domain="[('no_such_field', '=', 1)]")
        with self.assertRaises(ValidationError):
            self._rule(ok, assign_method="keep", partner_domain="__import__('os').system('true')")
        with self.assertRaises(ValidationError):
            self._rule(ok, assign_method="keep", partner_domain="not a domain")
        rule = self._rule(ok, assign_method="keep", partner_domain="[('customer_rank', '>', 0)]")
        self.assertTrue(rule)

    def test_shipped_examples_are_inactive(self):
        Rule = self.env["sales.handover.rule"].with_context(active_test=False)
        names = {
            "sales_roles.handover_rule_third_order",
            "sales_roles.handover_rule_sales_total",
            "sales_roles.handover_rule_flagship",
            "sales_roles.handover_rule_min_order",
            "sales_roles.handover_rule_dormant",
        }
        rules = Rule.browse([self.env.ref(xmlid).id for xmlid in names])
        self.assertEqual(len(rules), 5)
        self.assertFalse(any(rules.mapped("active")))
        self.assertEqual(self.env.ref("sales_roles.handover_rule_dormant").assign_method, "keep")
