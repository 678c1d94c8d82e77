"""The data requests of the "Hunters & Farmers" dashboard, replayed on the
server as the web client sends them when the dashboard opens: the benchmark
times them on its large database, the tests pin their query count.

- a pivot: one ``read_group`` (lazy=False) per pair of row and column group-by
  prefixes, as the web client's pivot model does (``_getGroupSubdivision``);
- a list: one ``web_search_read`` of its columns, limited to the rows shown;
- a chart: one ``read_group`` of its group-bys.

Each source's domain is its own ``domain`` and the global filters' default
values applied through its field matching: the period filter's current
quarter, no team, no salesperson (or the ``filters`` given).
"""

import base64
import json
import time
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from odoo.osv import expression

DASHBOARD_XMLID = "sales_roles.spreadsheet_dashboard_hunters_farmers"


def dashboard_data(env):
    """The dashboard's spreadsheet, as stored in the database."""
    dashboard = env.ref(DASHBOARD_XMLID)
    return json.loads(base64.b64decode(dashboard.sudo().spreadsheet_binary_data))


def quarter_bounds(day):
    """First and last day of the quarter of ``day``."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first, first + relativedelta(months=3, days=-1)


def filter_domain(global_filter, match, value):
    """The domain a global filter adds to a data source, as the web client
    builds it (``global_filters_ui_plugin.js``); ``value`` is the filter's
    value: (first day, last day) for the period, a list of ids otherwise."""
    field = match.get("chain")
    if not field or not value:
        return []
    if global_filter["type"] == "date":
        first, last = value
        if match.get("type") == "datetime":
            first, last = (
                datetime.combine(first, datetime.min.time()),
                datetime.combine(last, datetime.max.time()),
            )
        return ["&", (field, ">=", first), (field, "<=", last)]
    return [(field, "in", value)]


def default_filter_values(data, today=None):
    """The global filters' values when the dashboard opens: the current quarter
    for a period filter whose default is "this_quarter", nothing otherwise."""
    values = {}
    for global_filter in data["globalFilters"]:
        if global_filter["type"] == "date" and global_filter.get("defaultValue") == "this_quarter":
            values[global_filter["id"]] = quarter_bounds(today or date.today())
        else:
            values[global_filter["id"]] = global_filter.get("defaultValue") or []
    return values


def source_domain(data, source, values):
    filters = {global_filter["id"]: global_filter for global_filter in data["globalFilters"]}
    domain = source.get("domain") or source.get("searchParams", {}).get("domain") or []
    extra = [
        filter_domain(filters[filter_id], match, values.get(filter_id))
        for filter_id, match in (source.get("fieldMatching") or {}).items()
    ]
    return expression.AND([domain, *[part for part in extra if part]])


def _pivot_requests(env, data, pivot, values):
    model = env[pivot["model"]]
    domain = source_domain(data, pivot, values)
    measures = [
        measure["fieldName"]
        if measure["fieldName"] == "__count"
        else f"{measure['fieldName']}:{model._fields[measure['fieldName']].aggregator}"
        for measure in pivot["measures"]
    ]
    rows = [row["fieldName"] for row in pivot["rows"]]
    cols = [col["fieldName"] for col in pivot["columns"]]
    groupbys = [rows[:i] + cols[:j] for i in range(len(rows) + 1) for j in range(len(cols) + 1)]
    return [
        (lambda groupby=groupby: model.read_group(domain, measures, groupby, lazy=False))
        for groupby in groupbys
    ]


def _list_requests(env, data, list_def, values, limit):
    model = env[list_def["model"]]
    domain = source_domain(data, list_def, values)
    order = ", ".join(f"{o['name']} {'ASC' if o['asc'] else 'DESC'}" for o in list_def["orderBy"])
    specification = {column: {} for column in list_def["columns"]}
    for column in list_def["columns"]:
        if model._fields[column].type == "many2one":
            specification[column] = {"fields": {"display_name": {}}}
    return [lambda: model.web_search_read(domain, specification, limit=limit, order=order or None)]


def _chart_requests(env, data, chart, values):
    model = env[chart["metaData"]["resModel"]]
    domain = source_domain(data, chart, values)
    measure = chart["metaData"]["measure"]
    measures = ["__count"] if measure == "__count" else [f"{measure}:{model._fields[measure].aggregator}"]
    groupby = chart["metaData"]["groupBy"]
    return [lambda: model.read_group(domain, measures, groupby, lazy=False)]


def _list_rows_shown(data, list_id):
    """How many rows of a list the sheets show (the web client fetches as many)."""
    shown = 0
    prefix = f"=ODOO.LIST({list_id},"
    for sheet in data["sheets"]:
        for cell in sheet["cells"].values():
            content = cell.get("content", "")
            if content.startswith(prefix):
                shown = max(shown, int(content[len(prefix) :].split(",")[0]))
    return shown


def dashboard_requests(env, data=None, values=None, today=None):
    """``[(source name, [request, ...]), ...]``: the dashboard's data requests as
    callables, run as ``env``'s user."""
    data = data or dashboard_data(env)
    values = values if values is not None else default_filter_values(data, today)
    sources = []
    for pivot in data["pivots"].values():
        sources.append((f"pivot {pivot['id']}: {pivot['name']}", _pivot_requests(env, data, pivot, values)))
    for list_def in data["lists"].values():
        limit = _list_rows_shown(data, list_def["id"])
        sources.append(
            (f"list {list_def['id']}: {list_def['name']}", _list_requests(env, data, list_def, values, limit))
        )
    for sheet in data["sheets"]:
        for figure in sheet["figures"]:
            if figure["data"]["type"].startswith("odoo_"):
                title = figure["data"]["title"].get("text") or figure["id"]
                sources.append((f"chart: {title}", _chart_requests(env, data, figure["data"], values)))
    return sources


def replay_dashboard(env, data=None, values=None, today=None):
    """Runs every data request of the dashboard, as the web client would when
    it opens it; returns ``[(source name, requests, queries, seconds), ...]``
    (for ``./dev bench``: the sum of the seconds is the server time)."""
    results = []
    for name, requests in dashboard_requests(env, data, values, today):
        env.invalidate_all()
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        for request in requests:
            request()
        results.append((name, len(requests), env.cr.sql_log_count - queries, time.perf_counter() - start))
    return results
