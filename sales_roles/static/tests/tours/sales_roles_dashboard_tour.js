/** @odoo-module **/
// The director opens the "Hunters & Farmers" dashboard, reads this quarter's
// figures, picks another quarter and reads them change. Driven by
// tests/test_ui_dashboard.py, which builds the data (tests/dashboard_common.py):
// this quarter 2 handovers and 3 clients won (2 converted), 1 proposal waiting;
// the other quarter 1 handover and 1 client won (converted).

import { registry } from "@web/core/registry";
import { FILTER_DATE_OPTION } from "@spreadsheet/assets_backend/constants";

const QUARTERS = FILTER_DATE_OPTION.quarter;

// The spreadsheet is drawn on a canvas: its values are read from its model, held
// by the dashboard action (the web client's component tree, exposed in tests).
function dashboardModel() {
    const stack = [odoo.__WOWL_DEBUG__.root.__owl__];
    while (stack.length) {
        const node = stack.pop();
        const dashboard = node.component && node.component.state && node.component.state.activeDashboard;
        if (dashboard && dashboard.model) {
            return dashboard.model;
        }
        stack.push(...Object.values(node.children));
    }
    return null;
}

// The value of a cell of the Data sheet (the scorecards' figures), e.g. "B2".
function dataCell(xc) {
    const model = dashboardModel();
    if (!model) {
        return undefined;
    }
    const sheetId = model.getters.getSheetIdByName("Data");
    const col = xc.charCodeAt(0) - 65;
    const row = Number(xc.slice(1)) - 1;
    return model.getters.getEvaluatedCell({ sheetId, col, row }).value;
}

// Waits until the cells show the expected values (pivots load asynchronously).
async function expectCells(expected) {
    let actual;
    for (let attempt = 0; attempt < 100; attempt++) {
        actual = Object.fromEntries(Object.keys(expected).map((xc) => [xc, dataCell(xc)]));
        if (Object.entries(expected).every(([xc, value]) => Math.abs(actual[xc] - value) < 1e-6)) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`Expected ${JSON.stringify(expected)}, read ${JSON.stringify(actual)}`);
}

function otherQuarter() {
    const current = Math.floor(new Date().getMonth() / 3);
    return QUARTERS[current > 0 ? current - 1 : 1];
}

registry.category("web_tour.tours").add("sales_roles_dashboard", {
    url: "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
    steps: () => [
        {
            content: "Open the Hunters & Farmers dashboard",
            trigger: ".o_spreadsheet_dashboard_search_panel li:contains(Hunters & Farmers)",
            run: "click",
        },
        {
            content: "Its period filter is there",
            trigger: ".o_control_panel .date_filter_values select",
        },
        {
            content: "This quarter: 2 handovers, 1 proposal waiting, 3 clients won, 2 of 3 converted",
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet",
            run: () => expectCells({ B2: 2, B3: 1, B4: 3, B5: 2 / 3 }),
        },
        {
            content: "Pick another quarter",
            trigger: ".o_control_panel .date_filter_values select",
            run: `select ${otherQuarter()}`,
        },
        {
            content: "That quarter: 1 handover, 1 client won and converted; the proposal still waits",
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet",
            run: () => expectCells({ B2: 1, B3: 1, B4: 1, B5: 1 }),
        },
    ],
});
