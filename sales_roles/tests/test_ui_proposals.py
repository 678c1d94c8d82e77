from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import warm_up_web_client


@tagged("post_install", "-at_install")
class TestUiProposals(HttpCase):
    """The director decides on a night's proposals in the real web client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        warm_up_web_client(cls.env)

    def test_director_approves_two_proposals_and_rejects_one(self):
        new_test_user(
            self.env,
            "tour_proposal_director",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
            name="Tour Proposal Director",
        )
        hunter = new_test_user(
            self.env,
            "tour_proposal_hunter",
            groups="sales_team.group_sale_salesman",
            name="Tour Proposal Hunter",
        )
        farmer = new_test_user(
            self.env,
            "tour_proposal_farmer",
            groups="sales_team.group_sale_salesman",
            name="Tour Proposal Farmer",
        )
        rule = self.env["sales.handover.rule"].create(
            {
                "name": "Tour: after the 3rd order",
                "condition_ids": [Command.create({"criterion": "order_count", "min_count": 3})],
                "target_user_ids": [Command.set(farmer.ids)],
                "approval_required": True,
            }
        )
        product = self.env["product.product"].create({"name": "Tour Proposal Brick", "list_price": 10})
        clients = self.env["res.partner"]
        for name in ("Tour Proposal One", "Tour Proposal Two", "Tour Proposal Three"):
            client = self.env["res.partner"].create({"name": name, "is_company": True, "user_id": hunter.id})
            for _i in range(3):
                order = self.env["sale.order"].create(
                    {
                        "partner_id": client.id,
                        "user_id": hunter.id,
                        "order_line": [Command.create({"product_id": product.id, "price_unit": 10})],
                    }
                )
                order.action_confirm()
            clients |= client
        rule._run_handover()
        self.assertEqual(len(clients.handover_ids), 0)

        self.start_tour("/odoo", "sales_roles_proposals", login="tour_proposal_director")

        one, two, three = clients
        self.assertEqual((one | two).user_id, farmer)
        self.assertEqual(set((one | two).mapped("sales_lifecycle_state")), {"regular"})
        self.assertEqual(three.user_id, hunter)
        proposal = self.env["sales.handover"].search([("partner_id", "=", three.id)])
        self.assertEqual(proposal.state, "rejected")
        self.assertEqual(proposal.reason, "The hunter is negotiating the annual contract")
