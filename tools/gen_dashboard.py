"""Writes the "Hunters & Farmers" spreadsheet dashboard that the addon ships
(sales_roles/data/files/hunters_farmers_dashboard.json), in the format of Odoo
18's own dashboards (spreadsheet_dashboard_sale/data/files/sales_dashboard.json).

    python tools/gen_dashboard.py          # write it
    python tools/gen_dashboard.py --check  # exit 1 when it is out of date

Every figure is a live pivot, list or chart on the addon's report models, with
the domains and measures of the reports behind the Sales > Reporting menus, so
the dashboard and the reports never disagree. Labels are ``_t("...")``
formulas and chart titles: Odoo extracts both into the .pot.
"""

import json
import sys
from pathlib import Path

TARGET = (
    Path(__file__).resolve().parents[1] / "sales_roles" / "data" / "files" / "hunters_farmers_dashboard.json"
)

# Global filters: ids are fixed so that the file is stable from one run to the next.
PERIOD = "5d1c7a3e-8b2f-4c6d-9e0a-1f2b3c4d5e01"
TEAM = "5d1c7a3e-8b2f-4c6d-9e0a-1f2b3c4d5e02"
SALESPERSON = "5d1c7a3e-8b2f-4c6d-9e0a-1f2b3c4d5e03"
GLOBAL_FILTERS = [
    # A fixed period, the current quarter by default: the targets are quarterly.
    {
        "id": PERIOD,
        "type": "date",
        "label": "Period",
        "defaultValue": "this_quarter",
        "rangeType": "fixedPeriod",
    },
    {
        "id": TEAM,
        "type": "relation",
        "label": "Sales Team",
        "modelName": "crm.team",
        "defaultValue": [],
        "defaultValueDisplayNames": [],
        "rangeType": "year",
    },
    {
        "id": SALESPERSON,
        "type": "relation",
        "label": "Salesperson",
        "modelName": "res.users",
        "defaultValue": [],
        "defaultValueDisplayNames": [],
        "rangeType": "year",
    },
]

DONE = [["state", "=", "done"]]
CLIENTS = [["parent_id", "=", False], ["user_ids", "=", False]]  # the Clients by Lifecycle action's
STATES = ["prospect", "new", "regular", "key", "dormant"]
STATE_LABELS = {
    "prospect": "Prospects",
    "new": "New",
    "regular": "Regular",
    "key": "Key",
    "dormant": "Dormant",
}
TOP = 10  # rows shown per table


def matching(period=None, team=None, salesperson=None):
    """The field matching of a data source: which of its fields each global
    filter filters on (a filter left out does not apply, as in Odoo's own
    dashboards: a snapshot of today has no period)."""
    result = {}
    if period:
        field, field_type = period
        result[PERIOD] = {"chain": field, "type": field_type, "offset": 0}
    if team:
        result[TEAM] = {"chain": team, "type": "many2one"}
    if salesperson:
        result[SALESPERSON] = {"chain": salesperson, "type": "many2one"}
    return result


def pivot(pivot_id, name, model, domain, rows, measures, columns=(), sort=None, **match):
    return {
        "type": "ODOO",
        "fieldMatching": matching(**match),
        "context": {},
        "domain": domain,
        "id": pivot_id,
        "measures": [{"id": measure, "fieldName": measure} for measure in measures],
        "model": model,
        "name": name,
        "sortedColumn": {"groupId": [[], []], "measure": sort, "order": "desc"} if sort else None,
        "formulaId": pivot_id,
        "columns": [{"fieldName": field} for field in columns],
        "rows": [{"fieldName": field} for field in rows],
    }


PIVOTS = {
    "1": pivot(
        "1",
        "Clients by lifecycle state and owner",
        "res.partner",
        CLIENTS,
        ["user_id"],
        ["__count"],
        columns=["sales_lifecycle_state"],
        sort="__count",
        team="team_id",
        salesperson="user_id",
    ),
    "2": pivot(
        "2",
        "Handovers in the period by new state",
        "sales.handover",
        DONE,
        ["to_state"],
        ["__count"],
        sort="__count",
        period=("date", "datetime"),
        team="partner_id.team_id",
        salesperson="to_user_id",
    ),
    "3": pivot(
        "3",
        "Handovers in the period by rule and new state",
        "sales.handover",
        DONE,
        ["rule_id"],
        ["__count"],
        columns=["to_state"],
        sort="__count",
        period=("date", "datetime"),
        team="partner_id.team_id",
        salesperson="to_user_id",
    ),
    "4": pivot(
        "4",
        "Proposals waiting",
        "sales.handover",
        [["state", "=", "proposed"]],
        [],
        ["__count"],
        team="partner_id.team_id",
        salesperson="to_user_id",
    ),
    "5": pivot(
        "5",
        "Hunter conversion",
        "sales.hunter.report",
        [],
        ["hunter_id"],
        ["__count", "handed_over_count", "conversion_rate", "days_to_handover"],
        sort="__count",
        period=("won_date", "datetime"),
        team="team_id",
        salesperson="hunter_id",
    ),
    "6": pivot(
        "6",
        "Farmers' books",
        "sales.service.report",
        [["sales_lifecycle_state", "in", ["regular", "key"]]],
        ["user_id"],
        ["__count", "sales_12_months", "compliance", "at_risk_count", "sales_at_risk"],
        columns=["sales_lifecycle_state"],
        sort="sales_12_months",
        team="team_id",
        salesperson="user_id",
    ),
    **{
        pivot_id: pivot(
            pivot_id,
            f"Targets vs achieved by {label}",
            "sales.target.report",
            [],
            [field],
            ["amount", "achieved_amount"],
            sort="amount",
            period=("date_from", "date"),
            team="team_id",
            salesperson="user_id",
        )
        for pivot_id, field, label in (
            ("7", "user_id", "salesperson"),
            ("8", "product_manager_id", "product manager"),
            ("9", "territory_id", "territory"),
        )
    },
}


def odoo_list(list_id, name, model, domain, columns, order, **match):
    return {
        "columns": columns,
        "domain": domain,
        "model": model,
        "context": {},
        "orderBy": [{"name": field, "asc": asc} for field, asc in order],
        "id": list_id,
        "name": name,
        "fieldMatching": matching(**match),
    }


LISTS = {
    "1": odoo_list(
        "1",
        "Proposals waiting",
        "sales.handover",
        [["state", "=", "proposed"]],
        ["partner_id", "rule_id", "to_state", "to_user_id", "date"],
        [("date", True)],
        team="partner_id.team_id",
        salesperson="to_user_id",
    ),
    # The director's call list: the clients that stopped buying or are at risk,
    # by what they bought (their confirmed sales, kept on the client).
    "2": odoo_list(
        "2",
        "Top dormant and at-risk clients",
        "res.partner",
        [
            *CLIENTS,
            ["sales_total", ">", 0],
            "|",
            ["sales_lifecycle_state", "=", "dormant"],
            ["at_risk", "=", True],
        ],
        ["name", "sales_lifecycle_state", "user_id", "sales_total", "last_order_date"],
        [("sales_total", False)],
        team="team_id",
        salesperson="user_id",
    ),
}

# Handovers per month of the period, stacked by new state.
HANDOVER_CHART = {
    "title": {"text": "Handovers per Month", "bold": True, "color": "#434343"},
    "background": "#FFFFFF",
    "legendPosition": "top",
    "metaData": {
        "groupBy": ["date:month", "to_state"],
        "measure": "__count",
        "order": None,
        "resModel": "sales.handover",
        "mode": "bar",
    },
    "searchParams": {
        "comparison": None,
        "context": {},
        "domain": DONE,
        "groupBy": ["date:month", "to_state"],
        "orderBy": [],
    },
    "type": "odoo_bar",
    "verticalAxisPosition": "left",
    "stacked": True,
    "fieldMatching": matching(
        period=("date", "datetime"), team="partner_id.team_id", salesperson="to_user_id"
    ),
}


def t(text):
    return {"content": f'=_t("{text}")'}


class Sheet:
    """Cells, styles and formats of one sheet, written row by row."""

    def __init__(self):
        self.cells, self.styles, self.formats, self.rows = {}, {}, {}, {}
        self.row = 1

    def set(self, col, row, content, style=None, fmt=None):
        xc = f"{col}{row}"
        self.cells[xc] = content if isinstance(content, dict) else {"content": content}
        if style:
            self.styles[xc] = style
        if fmt:
            self.formats[xc] = fmt

    def title(self, text):
        self.row += 1
        self.rows[str(self.row - 1)] = {"size": 40}
        self.set("A", self.row, t(text), style=1)
        self.row += 1

    def header(self, labels):
        for col, label in zip("ABCDEFGH", labels, strict=False):
            self.set(col, self.row, t(label), style=2 if col == "A" else 3)
        self.row += 1

    def table(self, labels, row_formula, cols, count=TOP):
        """A header, then ``count`` rows: ``row_formula(i)`` in column A and
        ``cols`` (a list of (formula(i), format)) in the next columns."""
        self.header(labels)
        for i in range(1, count + 1):
            self.set("A", self.row, row_formula(i), style=4)
            for col, (formula, fmt) in zip("BCDEFGH", cols, strict=False):
                content = formula(i)
                if fmt:  # a ratio of an empty row would show 0: keep the row empty
                    content = f'=IF(A{self.row}="","",{content[1:]})'
                self.set(col, self.row, content, style=5, fmt=fmt)
            self.row += 1


PERCENT, DAYS = 1, 2  # formats ids


def header(pivot_id, field):
    return lambda i: f'=PIVOT.HEADER({pivot_id},"#{field}",{i})'


def value(pivot_id, measure, field, extra=""):
    return lambda i: f'=PIVOT.VALUE({pivot_id},"{measure}","#{field}",{i}{extra})'


def dashboard_sheet():
    sheet = Sheet()
    sheet.row = 5  # the scorecards take the first rows
    sheet.title("Clients by Lifecycle State")
    sheet.table(
        ["Owner", *(STATE_LABELS[state] for state in STATES), "Total"],
        header(1, "user_id"),
        [(value(1, "__count", "user_id", f',"sales_lifecycle_state","{state}"'), None) for state in STATES]
        + [(value(1, "__count", "user_id"), None)],
    )
    sheet.title("Handovers in the Period")
    sheet.header(["New State", "Handovers"])
    for i in range(1, len(STATES) + 1):  # the states reached in the period, most first
        sheet.set("A", sheet.row, f'=PIVOT.HEADER(2,"#to_state",{i})', style=4)
        sheet.set("B", sheet.row, f'=PIVOT.VALUE(2,"__count","#to_state",{i})', style=5)
        sheet.row += 1
    chart_row = sheet.row + 1
    sheet.row += 16  # room for the chart
    sheet.title("Handovers by Rule and New State")
    sheet.table(
        ["Rule", *(STATE_LABELS[state] for state in STATES[1:]), "Total"],
        header(3, "rule_id"),
        [(value(3, "__count", "rule_id", f',"to_state","{state}"'), None) for state in STATES[1:]]
        + [(value(3, "__count", "rule_id"), None)],
        count=5,
    )
    sheet.title("Proposals Waiting for Approval")
    sheet.header(["Client", "Rule", "New State", "Proposed Owner", "Proposed On"])
    for i in range(1, 6):
        sheet.set("A", sheet.row, f'=ODOO.LIST(1,{i},"partner_id")', style=4)
        for col, field in zip("BCDE", ["rule_id", "to_state", "to_user_id", "date"], strict=True):
            sheet.set(col, sheet.row, f'=ODOO.LIST(1,{i},"{field}")', style=5)
        sheet.row += 1
    sheet.title("Hunter Conversion")
    sheet.table(
        ["Hunter", "Clients Won", "Handed Over", "Conversion", "Days to Handover"],
        header(5, "hunter_id"),
        [
            (value(5, "__count", "hunter_id"), None),
            (value(5, "handed_over_count", "hunter_id"), None),
            (lambda i: f'=IFERROR(PIVOT.VALUE(5,"conversion_rate","#hunter_id",{i})/100,"")', PERCENT),
            (lambda i: f'=IFERROR(PIVOT.VALUE(5,"days_to_handover","#hunter_id",{i}),"")', DAYS),
        ],
    )
    sheet.title("Farmers' Books")
    sheet.table(
        ["Owner", "Regular", "Key", "Sales (12 Months)", "Compliance", "Clients at Risk", "Sales at Risk"],
        header(6, "user_id"),
        [
            (value(6, "__count", "user_id", ',"sales_lifecycle_state","regular"'), None),
            (value(6, "__count", "user_id", ',"sales_lifecycle_state","key"'), None),
            (value(6, "sales_12_months", "user_id"), None),
            (lambda i: f'=IFERROR(PIVOT.VALUE(6,"compliance","#user_id",{i})/100,"")', PERCENT),
            (value(6, "at_risk_count", "user_id"), None),
            (value(6, "sales_at_risk", "user_id"), None),
        ],
    )
    for pivot_id, field, label, title in (
        (7, "user_id", "Salesperson", "Targets vs Achieved by Salesperson"),
        (8, "product_manager_id", "Product Manager", "Targets vs Achieved by Product Manager"),
        (9, "territory_id", "Territory", "Targets vs Achieved by Territory"),
    ):
        sheet.title(title)
        sheet.table(
            [label, "Target", "Achieved", "Achieved (%)"],
            header(pivot_id, field),
            [
                (value(pivot_id, "amount", field), None),
                (value(pivot_id, "achieved_amount", field), None),
                (
                    lambda i, p=pivot_id, f=field: (
                        f'=IFERROR(PIVOT.VALUE({p},"achieved_amount","#{f}",{i})'
                        f'/PIVOT.VALUE({p},"amount","#{f}",{i}),"")'
                    ),
                    PERCENT,
                ),
            ],
            count=5,
        )
    sheet.title("Call List: Top Dormant and At-Risk Clients")
    sheet.header(["Client", "Lifecycle State", "Owner", "Total Sales", "Last Order"])
    for i in range(1, TOP + 1):
        sheet.set("A", sheet.row, f'=ODOO.LIST(2,{i},"name")', style=4)
        for col, field in zip("BCDE", LISTS["2"]["columns"][1:], strict=True):
            sheet.set(col, sheet.row, f'=ODOO.LIST(2,{i},"{field}")', style=5)
        sheet.row += 1
    return sheet, chart_row


# The Data sheet: the scorecards' figures, one per row (B: the value).
KPIS = [
    ("Handovers in the period", '=PIVOT.VALUE(2,"__count")', None),
    ("Proposals waiting", '=PIVOT.VALUE(4,"__count")', None),
    ("Clients won in the period", '=PIVOT.VALUE(5,"__count")', None),
    ("Conversion", '=IFERROR(PIVOT.VALUE(5,"conversion_rate")/100,0)', PERCENT),
    ("Service compliance", '=IFERROR(PIVOT.VALUE(6,"compliance")/100,0)', PERCENT),
    ("Sales at risk", '=FORMAT.LARGE.NUMBER(PIVOT.VALUE(6,"sales_at_risk"))', None),
    ("Targets achieved", '=IFERROR(PIVOT.VALUE(7,"achieved_amount")/PIVOT.VALUE(7,"amount"),0)', PERCENT),
]
SCORECARDS = [
    ("Handovers", 2, "#EFF6FF"),
    ("Proposals", 3, "#EFF6FF"),
    ("Clients Won", 4, "#EFF6FF"),
    ("Conversion", 5, "#FFF7ED"),
    ("Compliance", 6, "#FFF7ED"),
    ("Sales at Risk", 7, "#FFF7ED"),
    ("Targets Achieved", 8, "#F0FDF4"),
]


def data_sheet():
    sheet = Sheet()
    sheet.set("A", 1, t("KPI"), style=2)
    sheet.set("B", 1, t("Value"), style=2)
    for row, (label, formula, fmt) in enumerate(KPIS, start=2):
        sheet.set("A", row, t(label))
        sheet.set("B", row, formula, fmt=fmt)
    return sheet


def figure(figure_id, x, y, width, height, data):
    return {"id": figure_id, "x": x, "y": y, "width": width, "height": height, "tag": "chart", "data": data}


def sheet_json(sheet_id, name, sheet, cols, figures=(), rows=None):
    formats = dict(sheet.formats)
    return {
        "id": sheet_id,
        "name": name,
        "colNumber": max(len(cols), 8),
        "rowNumber": max(sheet.row + 5, 100),
        "rows": rows or {},
        "cols": {str(i): {"size": size} for i, size in enumerate(cols)},
        "merges": [],
        "cells": sheet.cells,
        "styles": sheet.styles,
        "formats": formats,
        "borders": {},
        "conditionalFormats": [],
        "figures": list(figures),
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }


ROW_HEIGHT = 23


def build():
    main, chart_row = dashboard_sheet()
    cols = [250, 138, 138, 138, 138, 138, 138, 138]
    width = sum(cols)
    card_width = (width - 10 * (len(SCORECARDS) - 1)) // len(SCORECARDS)
    figures = [
        figure(
            f"5d1c7a3e-8b2f-4c6d-9e0a-1f2b3c4d5f{index:02d}",
            index * (card_width + 10),
            11,
            card_width,
            101,
            {
                "baselineColorDown": "#DC6965",
                "baselineColorUp": "#00A04A",
                "baselineMode": "text",
                "title": {"text": title, "bold": True, "color": "#434343"},
                "type": "scorecard",
                "background": background,
                "keyValue": f"Data!B{data_row}",
                "humanize": False,
            },
        )
        for index, (title, data_row, background) in enumerate(SCORECARDS)
    ]
    # Rows keep their default height but the titles' rows: place the chart below them.
    y = sum(main.rows.get(str(r), {}).get("size", ROW_HEIGHT) for r in range(chart_row - 1))
    figures.append(
        figure("5d1c7a3e-8b2f-4c6d-9e0a-1f2b3c4d5f90", 0, y, width, 16 * ROW_HEIGHT - 10, HANDOVER_CHART)
    )
    data = data_sheet()
    return {
        "version": 21,
        "sheets": [
            sheet_json("hunters_farmers", "Dashboard", main, cols, figures, main.rows),
            sheet_json("hunters_farmers_data", "Data", data, [200, 120]),
        ],
        "styles": {
            "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
            "2": {"bold": True, "fontSize": 11, "textColor": "#434343"},
            "3": {"bold": True, "fontSize": 11, "textColor": "#434343", "align": "right"},
            "4": {"textColor": "#01666B", "verticalAlign": "middle"},
            "5": {"textColor": "#434343", "verticalAlign": "middle"},
        },
        "formats": {str(PERCENT): "0.0%", str(DAYS): "0"},
        "borders": {},
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {},
        "pivots": PIVOTS,
        "pivotNextId": len(PIVOTS) + 1,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": GLOBAL_FILTERS,
        "lists": LISTS,
        "listNextId": len(LISTS) + 1,
        "chartOdooMenusReferences": {},
    }


def render():
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            sys.stderr.write(f"{TARGET} is out of date: run python tools/gen_dashboard.py\n")
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
