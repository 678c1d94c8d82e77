from odoo.tests import HttpCase, tagged

from .common import warm_up_web_client
from .dashboard_common import DashboardCase


@tagged("post_install", "-at_install")
class TestUiDashboard(HttpCase, DashboardCase):
    """The director opens the Hunters & Farmers dashboard in the real web client,
    changes the period and reads the figures change; the figures the tour reads
    are those of the reports (checked here first)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        warm_up_web_client(cls.env)
        # The spreadsheet's bundle is loaded lazily by the dashboard: built once too.
        cls.env["ir.qweb"]._get_asset_bundle("spreadsheet.o_spreadsheet", css=False, js=True).js()

    def test_director_reads_the_quarter_and_another(self):
        Handover, Hunter = self.env["sales.handover"], self.env["sales.hunter.report"]
        for (first, last), handovers, won, converted in (
            (self.quarter, 2, 3, 2),
            (self.other_quarter, 1, 1, 1),
        ):
            period = [("date", ">=", first), ("date", "<=", last)]
            self.assertEqual(Handover.search_count([("state", "=", "done"), *period]), handovers)
            clients = Hunter.search([("won_date", ">=", first), ("won_date", "<=", last)])
            self.assertEqual(len(clients), won)
            self.assertEqual(sum(clients.mapped("handed_over_count")), converted)
        self.assertEqual(Handover.search_count([("state", "=", "proposed")]), 1)
        self.start_tour(
            "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
            "sales_roles_dashboard",
            login=self.manager.login,
        )
