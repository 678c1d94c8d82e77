import base64
import json
import re
from ast import literal_eval
from datetime import timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import file_open

from ..tools.dashboard import DASHBOARD_XMLID, dashboard_data, dashboard_requests, replay_dashboard
from .dashboard_common import DashboardCase

FIELD_TYPES = {"date": ("date", "datetime"), "relation": ("many2one",)}


@tagged("post_install", "-at_install")
class TestDashboard(DashboardCase):
    """The shipped "Hunters & Farmers" spreadsheet: it loads, every data source
    reads existing fields as the users who see it, its figures are the reports'
    and its requests cost the same number of queries whatever the data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(DASHBOARD_XMLID)
        cls.data = dashboard_data(cls.env)
        cls.all_documents = cls._settings_user("sr_dash_all", "sales_team.group_sale_salesman_all_leads")
        cls.bare_all_documents = new_test_user(
            cls.env, "sr_dash_bare", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.own_documents = cls._settings_user("sr_dash_own")

    # ------------------------------------------------------------------
    # The file
    # ------------------------------------------------------------------
    def test_shipped_file_is_the_stored_spreadsheet(self):
        with file_open("sales_roles/data/files/hunters_farmers_dashboard.json") as file:
            shipped = json.load(file)
        self.assertEqual(shipped, json.loads(base64.b64decode(self.dashboard.spreadsheet_binary_data)))
        self.assertEqual(shipped["version"], 21)
        self.assertEqual(
            self.dashboard.dashboard_group_id,
            self.env.ref("spreadsheet_dashboard.spreadsheet_dashboard_group_sales"),
        )
        self.assertEqual(self.dashboard.with_context(lang="en_US").name, "Hunters & Farmers")

    def _check_field(self, model, path, types=None):
        """``path`` (dotted) names fields of ``model``; the last one of ``types``."""
        Model = self.env[model]
        for name in path.split("."):
            self.assertIn(name, Model._fields, f"{model}: {path}")
            field = Model._fields[name]
            Model = self.env[field.comodel_name] if field.relational else Model
        if types:
            self.assertIn(field.type, types, f"{model}: {path}")
        return field

    def _check_matching(self, model, matching):
        filters = {global_filter["id"]: global_filter for global_filter in self.data["globalFilters"]}
        self.assertTrue(matching, model)
        for filter_id, match in matching.items():
            global_filter = filters[filter_id]
            field = self._check_field(model, match["chain"], FIELD_TYPES[global_filter["type"]])
            if global_filter["type"] == "relation":
                self.assertEqual(field.comodel_name, global_filter["modelName"], match["chain"])
            else:
                self.assertEqual(field.type, match["type"], match["chain"])
        # the sales team and salesperson filters apply everywhere
        self.assertLessEqual(
            {
                global_filter["id"]
                for global_filter in self.data["globalFilters"]
                if global_filter["type"] == "relation"
            },
            set(matching),
            model,
        )

    def test_every_source_reads_existing_fields(self):
        self.assertEqual(
            [f["label"] for f in self.data["globalFilters"]], ["Period", "Sales Team", "Salesperson"]
        )
        for pivot in self.data["pivots"].values():
            Model = self.env[pivot["model"]]
            for measure in pivot["measures"]:
                if measure["fieldName"] != "__count":
                    field = self._check_field(pivot["model"], measure["fieldName"])
                    self.assertTrue(field.aggregator, f"{pivot['model']}.{field.name} is no measure")
            for group in pivot["rows"] + pivot["columns"]:
                self.assertTrue(Model._fields[group["fieldName"]].store, group["fieldName"])
            Model._search(pivot["domain"])  # a valid domain
            self._check_matching(pivot["model"], pivot["fieldMatching"])
        for list_def in self.data["lists"].values():
            for column in list_def["columns"]:
                self._check_field(list_def["model"], column)
            self.env[list_def["model"]]._search(list_def["domain"])
            self._check_matching(list_def["model"], list_def["fieldMatching"])
        charts = [
            f["data"]
            for sheet in self.data["sheets"]
            for f in sheet["figures"]
            if f["data"]["type"] == "odoo_bar"
        ]
        self.assertTrue(charts)
        for chart in charts:
            model = chart["metaData"]["resModel"]
            for group in chart["metaData"]["groupBy"]:
                self._check_field(model, group.split(":")[0])
            self._check_matching(model, chart["fieldMatching"])
        # every formula names a pivot or list of the file
        for sheet in self.data["sheets"]:
            for cell in sheet["cells"].values():
                for function, source_id in re.findall(r"(PIVOT|ODOO\.LIST)[.A-Z]*\((\d+)", cell["content"]):
                    sources = self.data["pivots"] if function == "PIVOT" else self.data["lists"]
                    self.assertIn(source_id, sources, cell["content"])

    # ------------------------------------------------------------------
    # Who sees it, who reads its figures
    # ------------------------------------------------------------------
    def test_visible_to_all_documents_users_and_administrators(self):
        Dashboard = self.env["spreadsheet.dashboard"]
        for user in (self.manager, self.all_documents, self.bare_all_documents):
            self.assertIn(self.dashboard, Dashboard.with_user(user).search([]), user.login)
            self.dashboard.with_user(user).get_readonly_dashboard()
        self.assertNotIn(self.dashboard, Dashboard.with_user(self.own_documents).search([]))

    def test_every_request_runs_as_the_users_who_see_it(self):
        for user in (self.manager, self.all_documents, self.bare_all_documents):
            env = self.env(user=user)
            for name, requests in dashboard_requests(env, self.data):
                for request in requests:
                    self.assertIsNotNone(request(), f"{user.login}: {name}")

    # ------------------------------------------------------------------
    # Its figures are the reports'
    # ------------------------------------------------------------------
    def test_figures_are_the_reports(self):
        sources = dict(dashboard_requests(self.env(user=self.manager), self.data))
        # Handovers in the period (pivot 2, total): the done handovers of the quarter
        handovers = sources["pivot 2: Handovers in the period by new state"][0]()
        self.assertEqual(handovers[0]["__count"], 2)
        first, last = self.quarter
        self.assertEqual(
            self.env["sales.handover"].search_count(
                [("state", "=", "done"), ("date", ">=", first), ("date", "<", last + timedelta(days=1))]
            ),
            2,
        )
        # Hunter conversion (pivot 5, total): the Hunter Conversion report of clients won this quarter
        conversion = sources["pivot 5: Hunter conversion"][0]()[0]
        report = self.env["sales.hunter.report"].search(
            [
                ("won_date", ">=", first),
                ("partner_id", "in", (self.alder | self.birch | self.cedar | self.dogwood).ids),
            ]
        )
        self.assertEqual(conversion["__count"], 3)
        self.assertEqual(report.mapped("partner_id"), self.alder | self.birch | self.cedar)
        self.assertAlmostEqual(conversion["conversion_rate"], 200 / 3)
        self.assertEqual(conversion["handed_over_count"], sum(report.mapped("handed_over_count")))
        # Proposals waiting (pivot 4): Birch
        self.assertEqual(sources["pivot 4: Proposals waiting"][0]()[0]["__count"], 1)
        # Clients by lifecycle state (pivot 1) uses the Clients by Lifecycle report's domain
        action = self.env.ref("sales_roles.res_partner_action_lifecycle_analysis")
        self.assertEqual(
            self.data["pivots"]["1"]["domain"], [list(leaf) for leaf in literal_eval(action.domain)]
        )
        by_state = {
            group["sales_lifecycle_state"]: group["__count"]
            for group in sources["pivot 1: Clients by lifecycle state and owner"][1]()
            if group["sales_lifecycle_state"]
        }
        self.assertEqual(
            by_state["regular"],
            self.env["res.partner"].search_count(
                literal_eval(action.domain) + [("sales_lifecycle_state", "=", "regular")]
            ),
        )

    def test_call_list_is_the_sales_matrix(self):
        self.dogwood.sales_lifecycle_state = "dormant"
        sources = dict(dashboard_requests(self.env(user=self.manager), self.data))
        call_list = sources["list 2: Top dormant and at-risk clients"][0]()["records"]
        self.assertEqual([row["id"] for row in call_list], self.dogwood.ids)
        # its total sales are the Sales Matrix's confirmed sales of the client
        matrix = self.env["sale.report"].read_group(
            [("commercial_partner_id", "=", self.dogwood.id), ("state", "=", "sale")],
            ["price_subtotal:sum"],
            [],
        )
        self.assertAlmostEqual(call_list[0]["sales_total"], matrix[0]["price_subtotal"])
        self.assertEqual(call_list[0]["sales_total"], 500.0)

    def test_period_filter_changes_the_figures(self):
        filter_ids = {
            global_filter["label"]: global_filter["id"] for global_filter in self.data["globalFilters"]
        }
        values = {filter_ids["Period"]: self.other_quarter}
        sources = dict(dashboard_requests(self.env, self.data, values=values))
        self.assertEqual(sources["pivot 2: Handovers in the period by new state"][0]()[0]["__count"], 1)
        self.assertEqual(sources["pivot 5: Hunter conversion"][0]()[0]["__count"], 1)
        sources = dict(
            dashboard_requests(self.env, self.data, values={filter_ids["Salesperson"]: self.hunter_2.ids})
        )
        self.assertEqual(sources["pivot 5: Hunter conversion"][0]()[0]["__count"], 1)  # Cedar

    # ------------------------------------------------------------------
    # What it costs
    # ------------------------------------------------------------------
    def test_same_number_of_queries_whatever_the_number_of_clients(self):
        def queries():
            return {
                name: count
                for name, _requests, count, _seconds in replay_dashboard(
                    self.env(user=self.manager), self.data
                )
            }

        queries()  # warm the registry's caches (views, rules)
        before = queries()
        for index in range(20):
            client = self._client(f"Dashboard Client {index}")
            self._order(client, 100.0 + index, user=self.hunter if index % 2 else self.hunter_2)
        self._hand_over(self.env["res.partner"].search([("name", "like", "Dashboard Client 1")]))
        self.env.flush_all()
        self.assertEqual(queries(), before)
        self.assertLessEqual(sum(before.values()), 60, before)
