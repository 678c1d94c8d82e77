from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import Command, fields

from ..tools.dashboard import quarter_bounds
from .common import SalesRolesCase


def other_quarter(today):
    """A quarter of the same year other than today's (the period filter picks
    quarters of the year): the previous one, or the next in the first quarter."""
    first, _last = quarter_bounds(today)
    months = -3 if first.month > 1 else 3
    return quarter_bounds(first + relativedelta(months=months))


class DashboardCase(SalesRolesCase):
    """Clients won and handed over this quarter and in another quarter of the
    year, a proposal waiting: the figures the dashboard shows and the tour reads.

    This quarter: Alder, Birch and Cedar won (Alder and Birch by Hannah, Cedar by
    Henry), Alder and Cedar handed over to Fiona: 3 clients won, 2 handovers,
    conversion 2 / 3. Birch is proposed to Fiona. The other quarter: Dogwood won
    by Hannah and handed over: 1 client won, 1 handover, conversion 1 / 1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.context_today(cls.env["res.partner"])
        cls.quarter = quarter_bounds(today)
        cls.other_quarter = other_quarter(today)
        other_day = datetime.combine(cls.other_quarter[0] + relativedelta(days=14), time(10))
        cls.alder = cls._client("Alder Timber")
        cls.birch = cls._client("Birch Boards")
        cls.cedar = cls._client("Cedar Beams")
        cls.dogwood = cls._client("Dogwood Decking")
        for client, hunter in ((cls.alder, cls.hunter), (cls.birch, cls.hunter), (cls.cedar, cls.hunter_2)):
            cls._order(client, 1000.0, user=hunter)
        cls._order(cls.dogwood, 500.0, user=cls.hunter, date=other_day)
        cls.env["res.partner"].flush_model()
        cls._hand_over(cls.alder | cls.cedar | cls.dogwood)
        dogwood_handover = cls.dogwood.handover_ids
        dogwood_handover.date = other_day
        rule = cls._rule(
            [{"criterion": "order_count", "min_count": 1}],
            name="Dashboard: after the first order",
            target_user_ids=[Command.set(cls.farmer.ids)],
            approval_required=True,
            approver_id=cls.manager.id,
        )
        rule._run_handover()
        cls.env.flush_all()

    @classmethod
    def _hand_over(cls, clients):
        wizard = cls.env["sales.handover.wizard"].create(
            {
                "partner_ids": [Command.set(clients.ids)],
                "user_id": cls.farmer.id,
                "to_state": "regular",
                "reason": "Dashboard test",
            }
        )
        wizard.action_confirm()
