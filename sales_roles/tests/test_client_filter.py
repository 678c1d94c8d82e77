"""A rule's client filter is data: nothing in it runs, whoever writes it."""

import os

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SalesRolesCase

PWNED = "/tmp/sales_roles_filter_pwned"

HOSTILE_FILTERS = {
    "superuser record": "[('id', '!=', [user.write({'groups_id': [(4, user.env.ref('base.group_system').id)]}), 0][1])]",
    "record attribute": "[('id', '=', user.id)]",
    "environment": "[('id', '=', env.uid)]",
    "cursor": "[('id', 'in', env.cr.execute('DELETE FROM res_partner') or [])]",
    "import": "__import__('os').system('touch %s')" % PWNED,
    "dunder chain": "[('name', '=', context_today.__globals__)]",
    "class walk": "[('name', '=', datetime.datetime.now().__class__.__mro__)]",
    "sleep": "[('id', '=', time.sleep(30) or 1)]",
    "huge string": "[('name', '=', 'a' * 10**9)]",
    "huge list": "[('id', 'in', list(range(10**9)))]",
    "comprehension": "[('id', 'in', [x for x in (1, 2)])]",
    "lambda": "[('id', '=', (lambda: 1)())]",
    "deep nesting": "[" * 500 + "]" * 500,
    "repeated domain": "[('name', '=', 'x')] + [('name', '=', 'y')] * 100000",
    "too many conditions": "[" + ", ".join(f"('id', '!=', {i})" for i in range(1000)) + "]",
    "string method": "[('name', '=', '{0.env}'.format(uid))]",
    "dict value": "[('name', '=', {'a': 1})]",
    "subscript": "[('id', '=', [1, 2][0])]",
    "conditional": "[('id', '=', 1 if uid else 2)]",
    "open a file": "[('name', '=', open('/etc/passwd').read())]",
    "not a list": "{'a': 1}",
    "unknown field": "[('no_such_field', '=', 1)]",
    "unknown operator": "[('name', 'bad_operator', 1)]",
}


@tagged("post_install", "-at_install")
class TestClientFilter(SalesRolesCase):
    def _rule_as(self, user, partner_domain):
        return (
            self.env["sales.handover.rule"]
            .with_user(user)
            .create(
                {
                    "name": "Filtered",
                    "assign_method": "keep",
                    "partner_domain": partner_domain,
                    "condition_ids": [(0, 0, {"criterion": "order_count", "min_count": 1})],
                }
            )
        )

    def _snapshot(self):
        Rule = self.env["sales.handover.rule"].with_context(active_test=False)
        return (
            Rule.search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            self.manager.groups_id,
        )

    def test_hostile_filters_are_refused_and_nothing_runs(self):
        self.assertGreaterEqual(len(HOSTILE_FILTERS), 15)
        before = self._snapshot()
        for label, text in HOSTILE_FILTERS.items():
            with self.subTest(label), self.assertRaises(ValidationError) as error:
                self._rule_as(self.manager, text)
            self.assertIn("client filter", str(error.exception))
        self.assertEqual(self._snapshot(), before, "nothing written")
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.assertFalse(os.path.exists(PWNED))

    def test_filters_of_the_domain_editor_work(self):
        client = self._client("Moscow Bricks", country_id=self.env.ref("base.ru").id, user_id=self.hunter.id)
        self._order(client)
        for text in (
            "[('country_id.code', '=', 'RU')]",
            "['|', ('user_id', '=', uid), ('country_id.code', 'in', ['RU', 'BY'])]",
            "[('create_date', '>=', (context_today() - relativedelta(days=30)).strftime('%Y-%m-%d'))]",
            "[('create_date', '>=', datetime.datetime.combine(context_today(), datetime.time(0, 0, 0)))]",
            "[('company_id', 'in', [company_id, False])]",
            "[('category_id', 'not any', [('name', '=', 'Blacklisted')])]",
        ):
            with self.subTest(text):
                rule = self._rule_as(self.manager, text)
                self.assertIn(client.id, {move.client_id for move in rule._plan_handovers().moves})

    def test_a_filter_uses_only_what_its_author_may_read(self):
        # A client's receivable is for accountants: a Sales Administrator without
        # accounting rights cannot sort clients by it (the nightly run, as the
        # system, would otherwise reveal it through the handovers it makes).
        self.assertFalse(self.manager.has_group("account.group_account_readonly"))
        for text in ("[('credit', '>', 1000)]", "[('child_ids.credit', '>', 1000)]"):
            with self.subTest(text), self.assertRaises(ValidationError):
                self._rule_as(self.manager, text)

    def test_the_run_evaluates_plain_values(self):
        rule = self._rule_as(self.manager, "[('id', '!=', uid), ('company_id', 'in', [company_id, False])]")
        domain = rule.sudo()._client_filter()
        values = [value for leaf in domain for value in (leaf[2] if isinstance(leaf[2], list) else [leaf[2]])]
        self.assertTrue(all(isinstance(value, int | bool) for value in values), values)
