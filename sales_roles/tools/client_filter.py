"""A handover rule's client filter: a domain on contacts that is data, not code.

The filter is written by Sales Administrators and evaluated by the nightly run
as the system. It is therefore checked before it is evaluated: its text may
only be a list of conditions made of literal values, the names below and the
date helpers of Odoo's domain editor; then it is evaluated with plain values
(never a record, an environment or a cursor), and the result must be a domain
of plain values.
"""

import ast
import datetime

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.osv import expression
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil as safe_dateutil
from odoo.tools.safe_eval import safe_eval
from odoo.tools.safe_eval import time as safe_time

MAX_LENGTH = 10_000
MAX_NODES = 2_000
MAX_CONDITIONS = 200

# What a filter may call: the date helpers Odoo's domain editor writes.
CALLABLE_NAMES = {
    "context_today",
    "relativedelta",
    "datetime.date",
    "datetime.datetime",
    "datetime.datetime.combine",
    "datetime.datetime.now",
    "datetime.date.today",
    "datetime.time",
    "datetime.timedelta",
    "dateutil.relativedelta.relativedelta",
    "time.strftime",
}
# Methods that may be called on a date a helper returned.
DATE_METHODS = {"strftime", "isoformat", "replace", "date"}
NAMES = {"uid", "company_id", "context_today", "datetime", "dateutil", "relativedelta", "time"}
PLAIN_TYPES = (str, int, float, bool, type(None), datetime.date, datetime.datetime)


class ClientFilterError(ValueError):
    """The filter is not a domain of plain values; the message says why."""


def evaluate(env, text, company_id):
    """The domain written in ``text``, evaluated with plain values only.

    ``env`` only translates the messages and gives ``uid`` and today's date:
    the evaluation itself never sees it.

    :param str text: the filter as written on the rule
    :param int company_id: the rule's company, as ``company_id``
    :raise ClientFilterError: when the text is not a domain of plain values
    :return: the domain, a list
    """
    text = (text or "").strip() or "[]"
    if len(text) > MAX_LENGTH:
        raise ClientFilterError(env._("it is longer than %(max)s characters", max=MAX_LENGTH))
    _check_syntax(env, text)
    today = fields.Date.context_today(env.user)
    context = {
        "uid": env.uid,
        "company_id": company_id,
        "context_today": lambda: today,
        "datetime": safe_datetime,
        "dateutil": safe_dateutil,
        "relativedelta": relativedelta,
        "time": safe_time,
    }
    try:
        domain = safe_eval(text, context)
    except Exception as error:  # noqa: BLE001 - whatever went wrong, the filter is unusable
        raise ClientFilterError(str(error) or type(error).__name__) from None
    return _check_domain(env, domain)


def _check_syntax(env, text):
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise ClientFilterError(env._("it is not written as a list of conditions")) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ClientFilterError(env._("it is too large"))
    if not isinstance(tree.body, ast.List | ast.Tuple):
        raise ClientFilterError(env._("a domain is a list of conditions"))
    for node in nodes:
        _check_node(env, node)


def _check_node(env, node):
    if isinstance(
        node,
        ast.Expression
        | ast.List
        | ast.Tuple
        | ast.Constant
        | ast.Load
        | ast.keyword
        | ast.UnaryOp
        | ast.USub
        | ast.UAdd
        | ast.Add
        | ast.Sub,
    ):
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        # date arithmetic: context_today() - relativedelta(days=30)
        return
    if isinstance(node, ast.Name):
        if node.id not in NAMES:
            raise ClientFilterError(
                env._("unknown name “%(name)s”: a filter holds values, not code", name=node.id)
            )
        return
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise ClientFilterError(env._("forbidden attribute “%(name)s”", name=node.attr))
        return
    if isinstance(node, ast.Call):
        name = _dotted_name(node.func)
        if name in CALLABLE_NAMES:
            return
        if isinstance(node.func, ast.Attribute) and node.func.attr in DATE_METHODS:
            if isinstance(node.func.value, ast.Call | ast.BinOp):
                return
        raise ClientFilterError(
            env._("only date helpers such as context_today() may be called, not %(name)s", name=name or "-")
        )
    raise ClientFilterError(
        env._("a filter holds values, not code (%(construct)s)", construct=type(node).__name__)
    )


def _dotted_name(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _check_domain(env, domain):
    if not isinstance(domain, list | tuple):
        raise ClientFilterError(env._("a domain is a list of conditions"))
    conditions = 0
    for element in domain:
        if element in expression.DOMAIN_OPERATORS:
            continue
        if (
            not isinstance(element, list | tuple)
            or len(element) != 3
            or not isinstance(element[0], str)
            or not isinstance(element[1], str)
        ):
            raise ClientFilterError(
                env._("%(element)s is not a condition (field, operator, value)", element=repr(element)[:80])
            )
        path, operator, value = element
        if operator.lower() not in (*expression.TERM_OPERATORS, "<>"):
            raise ClientFilterError(env._("unknown operator “%(operator)s”", operator=operator[:20]))
        if operator.lower() in ("any", "not any"):
            _check_domain(env, value)
        elif not _is_plain(value):
            raise ClientFilterError(
                env._("the value compared with %(field)s is not a plain value", field=path[:80])
            )
        conditions += 1
    if conditions > MAX_CONDITIONS:
        raise ClientFilterError(env._("it has more than %(max)s conditions", max=MAX_CONDITIONS))
    return list(domain)


def check_access(model, domain):
    """Raise AccessError unless the user of ``model``'s env may read every model
    and field the conditions of ``domain`` go through (a search does not check
    the models it joins)."""
    for element in domain:
        if element in expression.DOMAIN_OPERATORS:
            continue
        path, operator, value = element
        current = model
        names = path.split(".")
        for index, name in enumerate(names):
            current.check_access("read")
            current.check_field_access_rights("read", [name])
            field = current._fields.get(name)
            if field is None or not field.relational:
                break
            current = current.env[field.comodel_name]
            if index == len(names) - 1 and operator.lower() in ("any", "not any"):
                check_access(current, value)


def _is_plain(value):
    if isinstance(value, list | tuple):
        return len(value) <= 10_000 and all(isinstance(item, PLAIN_TYPES) for item in value)
    return isinstance(value, PLAIN_TYPES)
