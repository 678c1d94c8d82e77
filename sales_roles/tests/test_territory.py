from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import SalesRolesCase


@tagged("post_install", "-at_install")
class TestTerritory(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.russia = cls.env.ref("base.ru")
        cls.france = cls.env.ref("base.fr")
        State = cls.env["res.country.state"]
        cls.msk = State.create({"name": "Moscow City", "code": "SR-MSK", "country_id": cls.russia.id})
        cls.spb = State.create(
            {"name": "Saint Petersburg City", "code": "SR-SPB", "country_id": cls.russia.id}
        )
        cls.regional = new_test_user(cls.env, "sr_regional", groups="sales_team.group_sale_salesman")
        cls.territorial = new_test_user(cls.env, "sr_territorial", groups="sales_team.group_sale_salesman")
        Territory = cls.env["sales.territory"]
        cls.europe = Territory.create(
            {
                "name": "Europe",
                "country_ids": [(6, 0, (cls.russia | cls.france).ids)],
                "manager_id": cls.regional.id,
            }
        )
        cls.west = Territory.create(
            {"name": "France", "parent_id": cls.europe.id, "country_ids": [(6, 0, cls.france.ids)]}
        )
        # Top-level, matching by state: it beats deeper territories matching by country.
        cls.moscow = Territory.create(
            {"name": "Moscow", "state_ids": [(6, 0, cls.msk.ids)], "manager_id": cls.territorial.id}
        )

    def _partner(self, country=None, state=None, **vals):
        return self._client(
            "Client",
            country_id=(country or (state and state.country_id) or self.env["res.country"]).id,
            state_id=state.id if state else False,
            **vals,
        )

    def test_child_beats_parent(self):
        self.assertEqual(self._partner(self.france).sales_territory_id, self.west)
        self.assertEqual(
            self._partner(self.russia).sales_territory_id, self.europe, "only the region lists Russia"
        )

    def test_state_beats_country(self):
        # Europe > Russia lists the country and is deeper than Moscow: the state still wins.
        self.env["sales.territory"].create(
            {"name": "Russia", "parent_id": self.europe.id, "country_ids": [(6, 0, self.russia.ids)]}
        )
        self.assertEqual(self._partner(state=self.msk).sales_territory_id, self.moscow)
        self.assertEqual(self._partner(state=self.spb).sales_territory_id.name, "Russia")

    def test_child_beats_parent_among_state_matches(self):
        district = self.env["sales.territory"].create(
            {"name": "Moscow Centre", "parent_id": self.moscow.id, "state_ids": [(6, 0, self.msk.ids)]}
        )
        self.assertEqual(self._partner(state=self.msk).sales_territory_id, district)

    def test_no_match(self):
        self.assertFalse(self._partner(self.env.ref("base.us")).sales_territory_id)
        self.assertFalse(self._partner().sales_territory_id)

    def test_address_change_moves_the_partner(self):
        partner = self._partner(self.france)
        partner.write({"country_id": self.russia.id, "state_id": self.msk.id})
        self.assertEqual(partner.sales_territory_id, self.moscow)
        self.assertFalse(partner.sales_territory_manual)

    def test_manual_territory_is_kept_when_the_address_changes(self):
        partner = self._partner(self.france)
        partner.sales_territory_id = self.moscow
        self.assertTrue(partner.sales_territory_manual)
        partner.write({"country_id": self.russia.id, "state_id": self.spb.id})
        self.assertEqual(partner.sales_territory_id, self.moscow, "chosen by hand: kept")
        partner.sales_territory_manual = False
        self.assertEqual(partner.sales_territory_id, self.europe, "back to the address")

    def test_form_saving_the_automatic_value_is_not_a_manual_choice(self):
        partner = self._partner(self.france)
        with Form(partner) as form:
            form.country_id = self.russia
            form.state_id = self.msk
            self.assertEqual(form.sales_territory_id, self.moscow, "the form shows the match at once")
        self.assertEqual(partner.sales_territory_id, self.moscow)
        self.assertFalse(partner.sales_territory_manual)
        with Form(partner) as form:
            form.sales_territory_id = self.west
        self.assertTrue(partner.sales_territory_manual)

    def test_territory_changes_rematch_partners(self):
        partner = self._partner(state=self.spb)
        manual = self._partner(state=self.spb)
        manual.sales_territory_id = self.west
        self.assertEqual(partner.sales_territory_id, self.europe)
        self.moscow.state_ids |= self.spb
        self.assertEqual(partner.sales_territory_id, self.moscow)
        self.assertEqual(manual.sales_territory_id, self.west)
        self.moscow.action_archive()
        self.assertEqual(partner.sales_territory_id, self.europe)
        petersburg = self.env["sales.territory"].create(
            {"name": "Petersburg", "state_ids": [(6, 0, self.spb.ids)]}
        )
        self.assertEqual(partner.sales_territory_id, petersburg)
        # Moving a territory under a region makes it deeper, hence preferred to a sibling.
        rival = self.env["sales.territory"].create(
            {"name": "North-West", "state_ids": [(6, 0, self.spb.ids)]}
        )
        self.assertEqual(partner.sales_territory_id, petersburg, "equal specificity: the oldest one")
        rival.parent_id = self.europe
        self.assertEqual(partner.sales_territory_id, rival)
        rival.unlink()
        self.assertEqual(partner.sales_territory_id, petersburg)

    def test_deleting_a_manual_territory_goes_back_to_the_address(self):
        partner = self._partner(self.france)
        spare = self.env["sales.territory"].create({"name": "Spare"})
        partner.sales_territory_id = spare
        spare.unlink()
        self.assertEqual(partner.sales_territory_id, self.west)
        self.assertFalse(partner.sales_territory_manual)

    def test_company_territories(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        local = self.env["sales.territory"].create(
            {
                "name": "France (own company)",
                "parent_id": self.west.id,
                "company_id": self.company.id,
                "country_ids": [(6, 0, self.france.ids)],
            }
        )
        foreign = self.env["sales.territory"].create(
            {
                "name": "France (other company)",
                "parent_id": self.west.id,
                "company_id": other.id,
                "country_ids": [(6, 0, self.france.ids)],
            }
        )
        self.assertEqual(self._partner(self.france, company_id=self.company.id).sales_territory_id, local)
        self.assertEqual(self._partner(self.france, company_id=other.id).sales_territory_id, foreign)
        self.assertEqual(
            self._partner(self.france).sales_territory_id, self.west, "no company: shared ones only"
        )
        # Record rule: the other company's territory is invisible from this company.
        visible = self.env["sales.territory"].with_user(self.hunter).search([])
        self.assertIn(local, visible)
        self.assertNotIn(foreign, visible)

    def test_order_takes_the_client_territory_at_confirmation(self):
        client = self._partner(state=self.msk)
        contact = self.env["res.partner"].create(
            {"name": "Branch Buyer", "parent_id": client.id, "type": "delivery", "country_id": self.france.id}
        )
        self.assertEqual(contact.sales_territory_id, self.west, "each partner has its own territory")
        order = self._order(contact, confirm=False)
        self.assertFalse(order.sales_territory_id)
        order.action_confirm()
        self.assertEqual(
            order.sales_territory_id, self.moscow, "the client's (commercial partner's) territory"
        )
        client.write({"state_id": self.spb.id})
        self.assertEqual(order.sales_territory_id, self.moscow, "a snapshot")

    def test_managers_up_the_tree(self):
        self.assertEqual(self.west.all_manager_ids, self.regional)
        self.assertEqual(self.moscow.all_manager_ids, self.territorial)
        self.moscow.parent_id = self.europe
        self.assertEqual(self.moscow.all_manager_ids, self.regional | self.territorial)
        self.europe.manager_id = self.hunter
        self.assertEqual(self.moscow.all_manager_ids, self.hunter | self.territorial)
        self.assertEqual(self.west.all_manager_ids, self.hunter)
        self.assertEqual(self.moscow.display_name, "Europe / Moscow")

    def test_no_cycles(self):
        with self.assertRaises(UserError):
            self.europe.parent_id = self.west

    def test_salespeople_read_administrators_write(self):
        self.assertEqual(self.europe.with_user(self.hunter).name, "Europe")
        with self.assertRaises(AccessError):
            self.europe.with_user(self.hunter).name = "Eurasia"
        with self.assertRaises(AccessError):
            self.env["sales.territory"].with_user(self.farmer).create({"name": "Mine"})
        created = self.env["sales.territory"].with_user(self.manager).create({"name": "Asia"})
        self.assertEqual(created.name, "Asia")

    def test_territory_in_use_cannot_be_deleted(self):
        self._order(self._partner(state=self.msk))
        with self.assertRaises(UserError), self.cr.savepoint():
            self.moscow.unlink()
