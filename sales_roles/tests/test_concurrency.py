"""The scheduled action against real transactions: commits, crashes, concurrent users.

These tests commit, in cursors of their own: the data they create is committed
too, and archived at the end so that no other test sees it.
"""

import threading
import unittest
import uuid
from contextlib import contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.sales_roles.models import sales_handover_engine


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    """Works in cursors of its own (the test's cursor may not commit)."""

    @contextmanager
    def _env(self):
        """A real transaction, committed when the block ends without error."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def setUp(self):
        super().setUp()
        with self._env() as env:
            # committed data outlives the test: unique names allow running it again
            tag = uuid.uuid4().hex[:8]
            self.hunter = new_test_user(env, f"cc_hunter_{tag}", groups="sales_team.group_sale_salesman")
            self.other = new_test_user(env, f"cc_other_{tag}", groups="sales_team.group_sale_salesman")
            self.farmer = new_test_user(env, f"cc_farmer_{tag}", groups="sales_team.group_sale_salesman")
            product = env["product.product"].create({"name": "Concurrency Brick", "list_price": 10})
            self.client_ids = []
            for i in range(5):
                client = env["res.partner"].create(
                    {"name": f"Concurrent {tag} {i}", "is_company": True, "user_id": self.hunter.id}
                )
                for _j in range(3):
                    order = env["sale.order"].create(
                        {
                            "partner_id": client.id,
                            "user_id": self.hunter.id,
                            "order_line": [(0, 0, {"product_id": product.id, "price_unit": 10})],
                        }
                    )
                    order.action_confirm()
                self.client_ids.append(client.id)
            self.rule_id = (
                env["sales.handover.rule"]
                .create(
                    {
                        "name": f"Concurrency {tag}",
                        "condition_ids": [(0, 0, {"criterion": "order_count", "min_count": 3})],
                        "target_user_ids": [(6, 0, [self.farmer.id])],
                        # only this test's clients
                        "partner_domain": repr([("id", "in", self.client_ids)]),
                    }
                )
                .id
            )
        self.addCleanup(self._archive)

    def _archive(self):
        # Committed data outlives the test: its handovers and orders would count in
        # the reports other tests read (handovers, hunter conversion, dashboard), so
        # they go; what the log names is archived.
        with self._env() as env:
            env.cr.execute(SQL("DELETE FROM sales_handover WHERE partner_id = ANY(%s)", self.client_ids))
            env.cr.execute(SQL("DELETE FROM sale_order WHERE partner_id = ANY(%s)", self.client_ids))
            env["sales.handover.rule"].browse(self.rule_id).active = False
            env["res.partner"].browse(self.client_ids).write({"active": False, "handover_blocked": True})
            (self.hunter | self.other | self.farmer).with_env(env).active = False

    def _run(self, env):
        """The scheduled action's own code path, committing as in production."""
        rule = env["sales.handover.rule"].browse(self.rule_id)
        return rule._run_handover(commit=True)

    def _state(self):
        with self._env() as env:
            clients = env["res.partner"].browse(self.client_ids)
            logs = env["sales.handover"].search([("partner_id", "in", self.client_ids)])
            return (
                {c.id: (c.sales_lifecycle_state, c.user_id.id) for c in clients},
                {
                    pid: len(logs.filtered(lambda h, pid=pid: h.partner_id.id == pid))
                    for pid in self.client_ids
                },
            )

    def test_crash_after_committed_batches_resumes_without_duplicates(self):
        Handover = self.registry["sales.handover"]
        original = Handover._apply_moves
        calls = []

        def crash_on_third_batch(handovers, moves, **kwargs):
            calls.append(len(moves))
            if len(calls) == 3:
                raise MemoryError("the worker was killed")
            return original(handovers, moves, **kwargs)

        with (
            patch.object(sales_handover_engine, "BATCH_SIZE", 2),
            patch.object(Handover, "_apply_moves", crash_on_third_batch),
            unittest.TestCase.assertRaises(self, MemoryError),
            self._env() as env,
        ):
            self._run(env)
        states, logs = self._state()
        moved = [cid for cid, (state, _user) in states.items() if state == "regular"]
        self.assertEqual(len(moved), 4, "two batches of two were committed before the crash")
        # nothing half-done: a client is moved exactly when it is logged, and the
        # others are as they were (owner, state, no log)
        for cid, (state, user_id) in states.items():
            expected = 1 if state == "regular" else 0
            self.assertEqual(logs[cid], expected, "moved exactly when logged")
            self.assertEqual(user_id, self.farmer.id if state == "regular" else self.hunter.id)

        with self._env() as env:
            self.assertEqual(self._run(env), 1, "the next run finishes the job")
        states, logs = self._state()
        self.assertEqual(set(states.values()), {("regular", self.farmer.id)})
        self.assertEqual(set(logs.values()), {1}, "no duplicate log")

    def test_user_change_during_the_run_wins(self):
        contested = self.client_ids[0]
        Handover = self.registry["sales.handover"]
        original = Handover._apply_moves
        done = []

        def user_edits_first(handovers, moves, **kwargs):
            if not done:
                # Between the plan and the writes, a salesperson reassigns a client
                # in their own transaction, and commits.
                done.append(True)
                with self._env() as user_env:
                    user_env["res.partner"].browse(contested).user_id = self.other.id
            return original(handovers, moves, **kwargs)

        with patch.object(Handover, "_apply_moves", user_edits_first), self._env() as env:
            moved = self._run(env)
        states, logs = self._state()
        self.assertEqual(states[contested], ("new", self.other.id), "the user's change wins")
        self.assertEqual(logs[contested], 0, "not handed over on stale data")
        self.assertEqual(moved, 4)
        for cid in self.client_ids[1:]:
            self.assertEqual(states[cid], ("regular", self.farmer.id))
            self.assertEqual(logs[cid], 1)

    def test_serialization_failure_is_retried_not_swallowed(self):
        Handover = self.registry["sales.handover"]
        original = Handover._apply_moves
        attempts = []

        def touch_then_apply(handovers, moves, **kwargs):
            attempts.append(len(moves))
            if len(attempts) == 1:
                # A concurrent transaction commits a change to a planned row after
                # this transaction took its snapshot: locking it fails to serialize.
                handovers.env.cr.execute("SELECT 1 FROM res_partner WHERE id = %s", [self.client_ids[1]])
                thread = threading.Thread(target=self._concurrent_note, args=(self.client_ids[1],))
                thread.start()
                thread.join()
            return original(handovers, moves, **kwargs)

        with patch.object(Handover, "_apply_moves", touch_then_apply), self._env() as env:
            moved = self._run(env)
        self.assertEqual(len(attempts), 2, "the batch was tried again in a new transaction")
        self.assertEqual(moved, 5)
        states, logs = self._state()
        self.assertEqual(set(states.values()), {("regular", self.farmer.id)})
        self.assertEqual(set(logs.values()), {1})

    def _concurrent_note(self, partner_id):
        with self._env() as env:
            env["res.partner"].browse(partner_id).comment = "Called today"
