"""Screenshots of the main sales_roles screens, taken from the running demo.

    ./dev screenshots       # after ./dev demo; writes sales_roles/static/description/screenshot_*.png

Logs in as the demo users of each screen in headless Chromium (1440 x 900) and
captures PNGs, each kept under MAX_BYTES (Pillow reduces the colours if needed).
For the Russian screen it installs Russian in the demo database (once) and
switches the account manager Irina Volkova (farmer2) to it.
"""

import argparse
import http.cookiejar
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from headless_chromium import BrowserError, HeadlessChromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sales_roles" / "static" / "description"
MAX_BYTES = 300_000
# A view is ready when the web client shows it and is not loading anything.
READY = (
    "!!document.querySelector('.o_action_manager .o_view_controller')"
    " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
)
# The chat windows OdooBot opens for a user's first logins hide the view.
HIDE_CHAT = (
    "document.head.insertAdjacentHTML('beforeend',"
    " '<style>.o-mail-ChatWindowContainer, .o-mail-ChatHub, .o_notification_manager"
    " {display: none !important}</style>')"
)


class Odoo:
    """JSON-RPC as the administrator: finds the records to show, sets up Russian."""

    def __init__(self, url, db):
        self.url, self.db = url, db
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self._rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})

    def _rpc(self, path, params, timeout=60):
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self._opener.open(request, timeout=timeout) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def call(self, model, method, *args, timeout=60, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self._rpc(f"/web/dataset/call_kw/{model}/{method}", params, timeout)

    def demo_id(self, name):
        """The id of the demo record sales_roles.<name>."""
        rows = self.call(
            "ir.model.data", "search_read", [("module", "=", "sales_roles"), ("name", "=", name)], ["res_id"]
        )
        if not rows:
            raise SystemExit(f"sales_roles.{name} not found: is {self.db} the demo database of ./dev demo?")
        return rows[0]["res_id"]

    def use_russian(self, login):
        langs = self.call(
            "res.lang", "search_read", [("code", "=", "ru_RU")], ["active"], context={"active_test": False}
        )
        if not langs[0]["active"]:
            print("installing Russian in the demo database (about a minute)")
            wizard = self.call("base.language.install", "create", {"lang_ids": [(6, 0, [langs[0]["id"]])]})
            self.call("base.language.install", "lang_install", [wizard], timeout=600)
        users = self.call("res.users", "search", [("login", "=", login)])
        self.call("res.users", "write", users, {"lang": "ru_RU"})


class Shooter:
    def __init__(self, browser, url, db, out):
        self.browser, self.url, self.db, self.out = browser, url, db, out
        self.user = None

    def login(self, login):
        if self.user == login:
            return
        browser = self.browser
        browser.goto(f"{self.url}/web/session/logout")
        browser.goto(f"{self.url}/web/login?db={self.db}")
        browser.wait_for_selector("form.oe_login_form input[name=password]")
        browser.evaluate(
            f"document.querySelector('input[name=login]').value = {json.dumps(login)};"
            # every demo user's password is their login
            f"document.querySelector('input[name=password]').value = {json.dumps(login)};"
            "document.querySelector('form.oe_login_form').submit()"
        )
        browser.wait_for("location.pathname.startsWith('/odoo')", f"{login}'s home")
        self.user = login

    def open(self, path, selector):
        """Open a web client URL and wait for the view and a selector showing its data."""
        self.browser.goto(self.url + path)
        self.wait(selector)

    def menu(self, *xmlids):
        """Open an app from the home menu, then its menus: the web client shows the app they belong to."""
        self.browser.goto(self.url + "/odoo")
        self.browser.click(".o_navbar_apps_menu button")
        self.browser.click(f".o_app[data-menu-xmlid='{xmlids[0]}']")
        for xmlid in xmlids[1:]:
            self.browser.click(f"[data-menu-xmlid='{xmlid}']")  # dropdown items live in an overlay
        self.browser.wait_for(READY, "the view")

    def open_row(self, text, selector):
        """Open the record of the list row showing this text."""
        self.browser.wait_for_selector(".o_data_row")
        self.browser.evaluate(
            "[...document.querySelectorAll('.o_data_row')]"
            f".find((row) => row.textContent.includes({json.dumps(text)}))"
            ".querySelector('td.o_data_cell').click()"
        )
        self.wait(selector)

    def toggle_columns(self, *names):
        """Show or hide optional list columns, by field name."""
        self.browser.click(".o_optional_columns_dropdown_toggle")
        for name in names:
            self.browser.click(f".o-dropdown--menu input[name='{name}']")
            time.sleep(0.3)
        self.browser.click(".o_optional_columns_dropdown_toggle")
        self.browser.wait_for(READY, "the view")

    def wait(self, selector):
        self.browser.wait_for(READY, "the view")
        self.browser.wait_for_selector(selector)
        self.browser.wait_for(READY, "the view")

    def shoot(self, name, settle=1.0):
        self.browser.evaluate(HIDE_CHAT)
        time.sleep(settle)  # charts animate, fonts and avatars load
        path = self.out / f"screenshot_{name}.png"
        self.browser.screenshot(path)
        shrink(path)
        print(f"{os.path.relpath(path)}: {path.stat().st_size // 1000} KB")


def shrink(path):
    """Keep the PNG under MAX_BYTES: optimise, then reduce to a palette if needed."""
    image = Image.open(path).convert("RGB")
    image.save(path, optimize=True)
    for colors in (256, 128, 64):
        if path.stat().st_size <= MAX_BYTES:
            return
        image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def take_all(shooter, odoo):
    """Each screen as the user who works with it."""
    # The sales director (the administrator) reads the clients' lifecycle ...
    shooter.login("admin")
    shooter.menu("sale.sale_menu_root", "sale.sale_order_menu", "sale.res_partner_menu")
    shooter.wait(".o_kanban_record .badge")
    shooter.shoot("clients_kanban")
    shooter.browser.click(".o_switch_view.o_list")
    shooter.wait(".o_list_renderer .o_data_row .badge")
    shooter.toggle_columns("phone", "email", "hunter_id", "sales_territory_id")
    shooter.shoot("clients")
    shooter.open_row("Golden State Developments", ".o_form_view .o_statusbar_status")
    shooter.browser.click(".o_notebook a[name=sales_purchases]")
    shooter.wait(".o_field_widget[name=hunter_id]")
    shooter.shoot("client_form")

    # ... writes the rules and previews them ...
    rules = "/odoo/action-sales_roles.sales_handover_rule_action"
    shooter.open(
        f"{rules}/{odoo.demo_id('handover_rule_demo_key_account')}",
        ".o_field_widget[name=condition_ids] .o_data_row",
    )
    shooter.shoot("rule_form")
    shooter.open(f"{rules}/{odoo.demo_id('handover_rule_demo_second_order')}", "button[name=action_preview]")
    shooter.browser.click("button[name=action_preview]")
    shooter.wait(".o_list_renderer .o_data_row [name=to_user_id]")
    shooter.shoot("rule_preview")

    # ... decides on the handovers a rule proposed for his approval ...
    shooter.menu(
        "sale.sale_menu_root", "sales_roles.sales_roles_main_menu", "sales_roles.sales_handover_proposal_menu"
    )
    shooter.wait(".o_list_renderer .o_data_row [name=to_user_id]")
    shooter.shoot("proposals")

    # ... and reads the handovers and the matrix.
    shooter.open("/odoo/action-sales_roles.sales_handover_action", ".o_list_renderer .o_data_row")
    shooter.shoot("handovers")
    shooter.open("/odoo/action-sales_roles.sales_handover_action?view_type=graph", ".o_graph_renderer canvas")
    shooter.shoot("handovers_graph", settle=2.0)
    shooter.open("/odoo/action-sales_roles.sale_report_action_matrix", ".o_pivot table .o_pivot_cell_value")
    shooter.shoot("sales_matrix")
    # ... the service level the account managers give their clients, and a client at risk ...
    shooter.open("/odoo/action-sales_roles.sales_service_report_action", ".o_pivot table .o_pivot_cell_value")
    shooter.shoot("service_level")
    shooter.open(
        f"/odoo/res.partner/{odoo.demo_id('res_partner_mountain_view')}", ".o_form_view [name=at_risk_alert]"
    )
    shooter.browser.click(".o_notebook a[name=sales_purchases]")
    shooter.wait(".o_field_widget[name=service_status]")
    shooter.shoot("client_at_risk")
    shooter.open("/odoo/action-sale.action_sale_config_settings", "#sales_roles_auto_handover")
    shooter.browser.evaluate(
        "document.querySelector('#sales_roles_auto_handover').closest('.o_settings_container')"
        ".previousElementSibling.scrollIntoView()"
    )
    shooter.shoot("settings")

    # The second bosses' targets against what was achieved, by salesperson and product manager ...
    shooter.open("/odoo/action-sales_roles.sales_target_report_action", ".o_pivot table .o_pivot_cell_value")
    shooter.shoot("targets_pivot")
    # ... and reads it all on the Hunters & Farmers dashboard: a client action, not a view;
    # the spreadsheet is drawn on a canvas once its pivots are loaded: give it time.
    shooter.browser.goto(shooter.url + "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action")
    shooter.browser.wait_for_selector(".o_spreadsheet_dashboard_search_panel li")
    shooter.browser.evaluate(
        "[...document.querySelectorAll('.o_spreadsheet_dashboard_search_panel li')]"
        ".find((li) => li.textContent.includes('Hunters')).click()"
    )
    shooter.browser.wait_for_selector(".o_spreadsheet_dashboard_action .date_filter_values")
    shooter.browser.wait_for_selector(".o_spreadsheet_dashboard_action .o-grid canvas")
    shooter.shoot("dashboard", settle=6.0)
    # ... a target with its tasks ...
    shooter.open(
        f"/odoo/action-sales_roles.sales_target_action/{odoo.demo_id('sales_target_demo_hunter1_building')}",
        ".o_form_view button[name=action_view_tasks]",
    )
    shooter.shoot("target_form")

    # ... and a salesperson's own targets: on pace on two product lines, behind on a territory.
    shooter.login("hunter1")
    shooter.menu(
        "sale.sale_menu_root", "sales_roles.sales_target_menu_root", "sales_roles.sales_target_my_menu"
    )
    shooter.wait(".o_kanban_record .o_progressbar")
    shooter.shoot("my_targets")

    # A Russian-speaking account manager on one of her clients.
    odoo.use_russian("farmer2")
    shooter.login("farmer2")
    shooter.menu("sale.sale_menu_root", "sale.sale_order_menu", "sale.res_partner_menu")
    shooter.browser.click(".o_switch_view.o_list")
    shooter.open_row("Niagara Building Supply", ".o_form_view .o_statusbar_status")
    shooter.browser.click(".o_notebook a[name=sales_purchases]")
    shooter.wait(".o_field_widget[name=hunter_id]")
    shooter.shoot("client_form_ru")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="sales_roles_demo")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    odoo = Odoo(args.url, args.db)
    with HeadlessChromium(args.chromium) as browser:
        try:
            take_all(Shooter(browser, args.url, args.db, args.out), odoo)
        except BrowserError:
            failure = Path(tempfile.gettempdir(), "sales_roles_screenshot_failure.png")
            browser.screenshot(failure)
            print(f"the screen when it failed: {failure}", file=sys.stderr)
            raise


if __name__ == "__main__":
    main()
