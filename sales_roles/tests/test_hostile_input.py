from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestHostileInput(SalesRolesCase):
    """Bad input gets a clear error and writes nothing."""

    def _rule_count(self):
        return self.env["sales.handover.rule"].with_context(active_test=False).search_count([])

    def test_domain_injection_is_never_executed(self):
        attempts = [
            "__import__('os').system('touch /tmp/sales_roles_pwned')",
            "[('id', '=', __import__('os').getpid())]",
            "[(x, '=', 1) for x in ().__class__.__bases__[0].__subclasses__()]",
            "[('name', '=', open('/etc/passwd').read())]",
            "lambda: 1",
            "[('name', 'ilike', 'a')] + [1] * 10",
            "{'a': 1}",
            "[('no_such_field', '=', 1)]",
            "[('name', 'bad_operator', 1)]",
            "[" * 500,
        ]
        before = self._rule_count()
        for domain in attempts:
            with self.subTest(domain=domain[:40]), self.assertRaises(ValidationError) as error:
                self._rule(
                    [{"criterion": "order_count", "min_count": 1}],
                    assign_method="keep",
                    partner_domain=domain,
                )
            self.assertIn("domain", str(error.exception))
        self.assertEqual(self._rule_count(), before)

    def test_thresholds_through_the_form(self):
        cases = {
            "min_count": [0, -1, 10**7],
            "period_months": [-1, 5000],
        }
        for field, values in cases.items():
            for value in values:
                with self.subTest(field=field, value=value), self.assertRaises(ValidationError):
                    with Form(self.env["sales.handover.rule"]) as form:
                        form.name = "Form rule"
                        form.assign_method = "keep"
                        with form.condition_ids.new() as condition:
                            condition.criterion = "order_count"
                            setattr(condition, field, value)
        self.assertFalse(self.env["sales.handover.rule"].search([("name", "=", "Form rule")]))

    def test_csv_import_of_rules(self):
        fields = [
            "name",
            "from_state",
            "to_state",
            "assign_method",
            "condition_ids/criterion",
            "condition_ids/min_count",
        ]
        good = [["Imported: 2 orders", "new", "regular", "keep", "order_count", "2"]]
        bad_rows = {
            "negative threshold": [["Bad 1", "new", "regular", "keep", "order_count", "-5"]],
            "not a number": [["Bad 2", "new", "regular", "keep", "order_count", "three"]],
            "same states": [["Bad 3", "new", "new", "keep", "order_count", "2"]],
            "unknown state": [["Bad 4", "new", "vip", "keep", "order_count", "2"]],
            "no new owner": [["Bad 5", "new", "regular", "least_loaded", "order_count", "2"]],
        }
        Rule = self.env["sales.handover.rule"]
        before = self._rule_count()
        for label, rows in bad_rows.items():
            with self.subTest(label):
                result = Rule.load(fields, rows)
                self.assertFalse(result["ids"], f"{label}: nothing imported")
                self.assertTrue(result["messages"], f"{label}: the import says why")
                self.assertTrue(all(m["type"] == "error" for m in result["messages"]))
        self.assertEqual(self._rule_count(), before)
        result = Rule.load(fields, good)
        self.assertEqual(len(result["ids"]), 1, result["messages"])
        self.assertEqual(Rule.browse(result["ids"]).condition_ids.min_count, 2)

    def test_unicode_and_long_names(self):
        name = "Правило «Постоянный клиент» 🚀 " + "x" * 5000
        rule = self._rule([{"criterion": "order_count", "min_count": 2}], assign_method="keep", name=name)
        self.assertEqual(rule.name, name)
        client = self._client("Клиент ООО «Ромашка» " + "я" * 3000, user_id=self.hunter.id)
        for _i in range(2):
            self._order(client)
        self.env["sales.handover.rule"]._cron_run_handover()
        self.assertEqual(client.sales_lifecycle_state, "regular")
        self.assertIn("Правило «Постоянный клиент»", client.message_ids[0].body)
