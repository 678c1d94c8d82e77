"""Ownership and crediting fields are the system's and the Sales Administrators'
on every path (issue 11, item 2): create with context defaults or ir.default,
write, import, reparenting, merge, RPC. Writing the value a field already has is
not an edit. Tried with users built as Settings > Users builds them (Contact
Creation, Product Creation) and with bare salespeople."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import SalesRolesCase

ADMIN_ONLY = "Only Sales Administrators"


@tagged("post_install", "-at_install")
class TestProtectedFields(SalesRolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = cls._settings_user("pf_seller")
        cls.seller_all = cls._settings_user("pf_seller_all", "sales_team.group_sale_salesman_all_leads")
        cls.director = cls._settings_user("pf_director", "sales_team.group_sale_manager")
        cls.sellers = cls.seller | cls.seller_all
        cls.key_account = cls._client("Key Account", user_id=cls.farmer.id, email="buy@key.example.com")
        cls._order(cls.key_account, user=cls.hunter_2)
        cls.key_account.write(
            {"sales_lifecycle_state": "key", "handover_blocked": True, "handover_date": "2026-01-05 10:00:00"}
        )
        cls.key_contact = cls.env["res.partner"].create({"name": "Kim Key", "parent_id": cls.key_account.id})
        cls.Partner = cls.env["res.partner"]

    def _lifecycle(self, partner):
        return (
            partner.sales_lifecycle_state,
            partner.hunter_id,
            partner.handover_blocked,
            partner.handover_date,
        )

    def test_users_are_built_like_settings_users(self):
        for user in self.sellers | self.director:
            self.assertTrue(user.has_group("base.group_partner_manager"), "Contact Creation")
            self.assertTrue(user.has_group("product.group_product_manager"), "Product Creation")
        self.assertFalse(self.seller.has_group("sales_team.group_sale_salesman_all_leads"))
        self.assertFalse(self.seller_all.has_group("sales_team.group_sale_manager"))
        self.assertTrue(self.director.has_group("sales_team.group_sale_manager"))

    # ------------------------------------------------------------
    # Clients: create
    # ------------------------------------------------------------

    def test_create_with_context_defaults_is_refused(self):
        for user in self.sellers:
            defaults = {
                "default_hunter_id": user.id,
                "default_sales_lifecycle_state": "key",
                "default_handover_blocked": True,
                "default_handover_date": "2026-01-01 00:00:00",
            }
            for key, value in defaults.items():
                with (
                    self.subTest(user=user.login, default=key),
                    self.assertRaisesRegex(AccessError, ADMIN_ONLY),
                ):
                    self.Partner.with_user(user).with_context(**{key: value}).create(
                        {"name": "Sneaky Co", "is_company": True}
                    )
            with self.assertRaisesRegex(AccessError, "Hunter"):
                self.Partner.with_user(user).create({"name": "Sneaky Co", "hunter_id": user.id})
        self.assertFalse(self.Partner.search([("name", "=", "Sneaky Co")]), "nothing written")
        # A Sales Administrator may.
        client = (
            self.Partner.with_user(self.director)
            .with_context(default_hunter_id=self.hunter.id)
            .create({"name": "Granted Co", "is_company": True})
        )
        self.assertEqual(client.hunter_id, self.hunter)

    def test_create_with_ir_default_is_refused(self):
        Default = self.env["ir.default"].with_user(self.seller)
        Default.set("res.partner", "hunter_id", self.seller.id, user_id=True)
        with self.assertRaisesRegex(AccessError, "Hunter"):
            self.Partner.with_user(self.seller).create({"name": "Defaulted Co", "is_company": True})
        Default.set("res.partner", "hunter_id", False, user_id=True)
        Default.set("res.partner", "sales_lifecycle_state", "key", user_id=True)
        with self.assertRaisesRegex(AccessError, "Lifecycle State"):
            self.Partner.with_user(self.seller).create({"name": "Defaulted Co", "is_company": True})
        self.assertFalse(self.Partner.search([("name", "=", "Defaulted Co")]))

    def test_plain_create_works(self):
        client = self.Partner.with_user(self.seller).create({"name": "Plain Co", "is_company": True})
        self.assertEqual(self._lifecycle(client), ("prospect", self.env["res.users"], False, False))
        explicit = self.Partner.with_user(self.seller).create(
            {
                "name": "Explicit Co",
                "sales_lifecycle_state": "prospect",
                "hunter_id": False,
                "handover_blocked": False,
            }
        )
        self.assertEqual(explicit.sales_lifecycle_state, "prospect")

    def test_contact_created_under_a_key_account_gets_its_values(self):
        contact = self.Partner.with_user(self.seller).create(
            {"name": "Late Joiner", "parent_id": self.key_account.id}
        )
        self.assertEqual(self._lifecycle(contact), self._lifecycle(self.key_account))
        # giving the parent's values is no edit either (e.g. an import of contacts)
        same = (
            self.Partner.with_user(self.seller)
            .with_context(default_sales_lifecycle_state="key")
            .create({"name": "Also Key", "parent_id": self.key_account.id, "hunter_id": self.hunter_2.id})
        )
        self.assertEqual(same.hunter_id, self.hunter_2)
        with self.assertRaisesRegex(AccessError, "Hunter"):
            self.Partner.with_user(self.seller).create(
                {"name": "Other Hunter", "parent_id": self.key_account.id, "hunter_id": self.seller.id}
            )

    # ------------------------------------------------------------
    # Clients: write, import
    # ------------------------------------------------------------

    def test_write_is_refused_unless_the_value_stays(self):
        before = self._lifecycle(self.key_account)
        changes = {
            "sales_lifecycle_state": "regular",
            "hunter_id": self.seller.id,
            "handover_blocked": False,
            "handover_date": "2026-02-01 00:00:00",
        }
        for user in self.sellers:
            for partner in self.key_account | self.key_contact:
                for name, value in changes.items():
                    with self.subTest(user=user.login, partner=partner.name, field=name):
                        with self.assertRaisesRegex(AccessError, ADMIN_ONLY):
                            partner.with_user(user).write({name: value})
        self.assertEqual(self._lifecycle(self.key_account), before)
        # The values it has, as the ORM and as an RPC client give them.
        self.key_account.with_user(self.seller).write(
            {
                "sales_lifecycle_state": "key",
                "hunter_id": self.hunter_2.id,
                "handover_blocked": True,
                "handover_date": "2026-01-05 10:00:00",
                "name": "Key Account Ltd",
            }
        )
        self.key_account.with_user(self.seller).handover_date = self.key_account.handover_date
        self.assertEqual(self.key_account.name, "Key Account Ltd")
        self.key_account.with_user(self.director).write(changes)
        self.assertEqual(self.key_account.hunter_id, self.seller)

    def test_reset_to_prospect_cannot_steal_a_client(self):
        with self.assertRaises(AccessError):
            self.key_account.with_user(self.seller).write(
                {"sales_lifecycle_state": "prospect", "hunter_id": False}
            )
        order = self._order(self.key_account, user=self.seller, confirm=False)
        order.with_user(self.seller).action_confirm()
        self.assertEqual(self.key_account.hunter_id, self.hunter_2, "the hunter stays")
        self.assertEqual(order.hunter_id, self.hunter_2)
        self.assertEqual(order.sales_lifecycle_state, "key")

    def test_import_and_reimport_of_an_export(self):
        clients = self.key_account | self.key_contact | self._client("Prospect Co")
        names = ["id", "name", "hunter_id", "sales_lifecycle_state", "handover_blocked", "handover_date"]
        Partner = self.Partner.with_user(self.seller)
        rows = [
            [value if isinstance(value, str) else str(value) for value in row]
            for row in clients.with_user(self.seller).export_data(names)["datas"]
        ]
        result = Partner.load(names, rows)
        self.assertEqual(
            [m["message"] for m in result["messages"] if m["type"] == "error"], [], "re-import works"
        )
        self.assertEqual(len(result["ids"]), 3)
        # the same file with another hunter
        rows[0][2] = self.seller.name
        result = Partner.load(names, rows)
        self.assertFalse(result["ids"])
        self.assertIn(ADMIN_ONLY, " ".join(m["message"] for m in result["messages"]))
        self.assertEqual(self.key_account.hunter_id, self.hunter_2)
        # new clients with a hunter or a state
        for column, value in (("hunter_id", self.seller.name), ("sales_lifecycle_state", "Key Account")):
            result = Partner.load(["name", "is_company", column], [["Imported Co", "True", value]])
            self.assertFalse(result["ids"], column)
        result = Partner.load(
            ["name", "parent_id", "hunter_id"], [["Imported Contact", "Key Account", self.hunter_2.name]]
        )
        self.assertEqual(Partner.browse(result["ids"]).hunter_id, self.hunter_2, "its company's hunter")
        # a Sales Administrator imports anything
        result = self.Partner.with_user(self.director).load(names, rows)
        self.assertEqual(len(result["ids"]), 3)
        self.assertEqual(self.key_account.hunter_id, self.seller)

    # ------------------------------------------------------------
    # Clients: reparenting, merge
    # ------------------------------------------------------------

    def test_attach_to_a_key_account_and_back_is_refused(self):
        lone = self.Partner.create({"name": "Lone Buyer"})  # a prospect
        won = self._client("Won Co")
        self._order(won, user=self.hunter)
        for user in self.sellers:
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(AccessError, "cannot become a contact of Key Account"):
                    lone.with_user(user).write({"parent_id": self.key_account.id})
                with self.assertRaisesRegex(AccessError, "cannot become a contact"):
                    self.key_account.with_user(user).write({"child_ids": [Command.link(lone.id)]})
                with self.assertRaisesRegex(AccessError, "cannot become a contact"):
                    won.with_user(user).write({"parent_id": self.key_account.id, "is_company": False})
                with self.assertRaisesRegex(AccessError, "cannot become a contact"):
                    won.with_user(user).write({"parent_id": self._client("Fresh Co").id, "is_company": False})
        self.assertFalse(lone.parent_id)
        self.assertEqual(self._lifecycle(lone), ("prospect", self.env["res.users"], False, False))
        self.assertEqual((won.sales_lifecycle_state, won.hunter_id), ("new", self.hunter))

    def test_detaching_a_contact_of_a_client_is_refused(self):
        for user in self.sellers:
            # company_type is what the form writes; its inverse writes is_company
            for vals in ({"parent_id": False}, {"is_company": True}, {"company_type": "company"}):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaisesRegex(AccessError, "cannot become a client of its own"):
                        self.key_contact.with_user(user).write(vals)
        self.assertEqual(self.key_contact.parent_id, self.key_account)
        self.key_contact.with_user(self.director).write({"parent_id": False})
        self.assertEqual(self.key_contact.hunter_id, self.hunter_2, "a Sales Administrator may")

    def test_moving_contacts_keeps_working(self):
        prospect_a, prospect_b = self._client("Prospect A"), self._client("Prospect B")
        contact = self.Partner.create({"name": "Pat", "parent_id": prospect_a.id})
        lone = self.Partner.create({"name": "Lone Prospect"})
        contact.with_user(self.seller).write({"parent_id": prospect_b.id})
        lone.with_user(self.seller).write({"parent_id": prospect_b.id})
        contact.with_user(self.seller).write({"parent_id": False})
        self.assertEqual(contact.commercial_partner_id, contact)
        # A contact moving from a client to another mirrors its new company: no client changes.
        self.key_contact.with_user(self.seller).write({"parent_id": prospect_a.id})
        self.assertEqual(self._lifecycle(self.key_contact), self._lifecycle(prospect_a))
        self.assertEqual(self.key_account.sales_lifecycle_state, "key")

    def test_commercial_sync_keeps_working(self):
        self.key_account.with_user(self.director).write({"hunter_id": self.hunter.id})
        self.assertEqual(self.key_contact.hunter_id, self.hunter)
        prospect = self._client("Buying Co")
        contact = self.Partner.with_user(self.seller).create({"name": "Buyer", "parent_id": prospect.id})
        self._order(contact, user=self.seller, confirm=False).with_user(self.seller).action_confirm()
        self.assertEqual((prospect.sales_lifecycle_state, prospect.hunter_id), ("new", self.seller))
        self.assertEqual((contact.sales_lifecycle_state, contact.hunter_id), ("new", self.seller))

    def _merge(self, user, partners, destination):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(user)
            .create({"partner_ids": [Command.set(partners.ids)], "dst_partner_id": destination.id})
        )
        wizard.action_merge()

    def test_merge_by_a_contact_creation_user(self):
        duplicate = self.Partner.create(
            {"name": "Key Account (dup)", "is_company": True, "email": "buy@key.example.com"}
        )
        # into the client that has the lifecycle: nothing changes, it works
        self._merge(self.seller, self.key_account | duplicate, self.key_account)
        self.assertFalse(duplicate.exists())
        self.assertEqual(self._lifecycle(self.key_account)[:2], ("key", self.hunter_2))
        # two prospects
        twins = self._client("Twin", email="t@example.com") | self._client("Twin", email="t@example.com")
        self._merge(self.seller, twins, twins[0])
        self.assertFalse(twins[1].exists())
        # into a prospect: it would take the client's hunter and exclusion
        duplicate = self.Partner.create(
            {"name": "Key Account (dup)", "is_company": True, "email": "buy@key.example.com"}
        )
        with self.assertRaisesRegex(AccessError, "Choose the client that has this lifecycle"):
            self._merge(self.seller, self.key_account | duplicate, duplicate)
        self.assertTrue(self.key_account.exists())
        self.assertEqual(self.key_account.sale_order_count, 1, "nothing moved")
        self.assertEqual(self._lifecycle(duplicate)[:2], ("prospect", self.env["res.users"]))
        self._merge(self.director, self.key_account | duplicate, duplicate)
        self.assertEqual(
            self._lifecycle(duplicate)[:2], ("prospect", self.hunter_2), "Odoo's merge, for admins"
        )

    # ------------------------------------------------------------
    # Orders and lines
    # ------------------------------------------------------------

    def test_stamped_order_fields_over_rpc(self):
        territory = self.env["sales.territory"].create({"name": "North"})
        for user in (self.hunter, self.seller):
            order = self._order(self._client(f"Client of {user.login}"), user=user)
            line = order.order_line
            for vals in (
                {"hunter_id": self.hunter_2.id},
                {"sales_lifecycle_state": "key"},
                {"sales_territory_id": territory.id},
            ):
                with (
                    self.subTest(user=user.login, vals=vals),
                    self.assertRaisesRegex(AccessError, ADMIN_ONLY),
                ):
                    order.with_user(user).write(vals)
            with self.assertRaisesRegex(AccessError, "Product Manager"):
                line.with_user(user).write({"product_manager_id": user.id})
            self.assertEqual((order.sales_lifecycle_state, order.hunter_id), ("new", user))
            self.assertFalse(line.product_manager_id)
            self.assertFalse(order.sales_territory_id)
            # unchanged values
            order.with_user(user).write({"hunter_id": user.id, "sales_lifecycle_state": "new", "note": "ok"})
            line.with_user(user).write({"product_manager_id": False, "name": "Bricks"})
            # on creation, with defaults or values (a line's manager is computed: the ORM drops a value)
            new_line = (
                self.env["sale.order.line"]
                .with_user(user)
                .create({"order_id": order.id, "product_id": self.product.id, "product_manager_id": user.id})
            )
            self.assertFalse(new_line.product_manager_id)
            Order = self.env["sale.order"].with_user(user)
            with self.assertRaisesRegex(AccessError, "Hunter"):
                Order.with_context(default_hunter_id=user.id).create({"partner_id": self.key_account.id})
            with self.assertRaisesRegex(AccessError, "Client Lifecycle State"):
                Order.create({"partner_id": self.key_account.id, "sales_lifecycle_state": "new"})
        order.with_user(self.director).write({"sales_territory_id": territory.id})
        self.assertEqual(order.sales_territory_id, territory)

    def test_salesperson_confirming_an_order_still_stamps_and_wins(self):
        territory = self.env["sales.territory"].create(
            {
                "name": "Belgium",
                "company_id": False,
                "country_ids": [Command.link(self.env.ref("base.be").id)],
            }
        )
        for user in (self.hunter, self.seller):
            client = self._client(f"Prospect of {user.login}", country_id=self.env.ref("base.be").id)
            order = self._order(client, user=user, confirm=False).with_user(user)
            order.action_confirm()
            self.assertEqual((client.sales_lifecycle_state, client.hunter_id), ("new", user))
            self.assertRecordValues(
                order,
                [{"sales_lifecycle_state": "new", "hunter_id": user.id, "sales_territory_id": territory.id}],
            )

    # ------------------------------------------------------------
    # Product managers
    # ------------------------------------------------------------

    def _product_manager_attempts(self, user, template, category):
        """Each way ``user`` could make himself a product manager."""
        env = self.env(user=user)
        default = {"default_product_manager_id": user.id}
        manager = {"product_manager_id": user.id}
        return {
            "template default": lambda: (
                env["product.template"].with_context(**default).create({"name": "Sneaky"})
            ),
            "variant default": lambda: (
                env["product.product"].with_context(**default).create({"name": "Sneaky"})
            ),
            "variant value": lambda: env["product.product"].create({"name": "Sneaky", **manager}),
            "category default": lambda: (
                env["product.category"].with_context(**default).create({"name": "Sneaky"})
            ),
            "template write": lambda: template.with_env(env).write(manager),
            "variant write": lambda: self.product.with_env(env).write(manager),
            "category write": lambda: category.with_env(env).write(manager),
        }

    def test_product_manager_on_every_path(self):
        template = self.product.product_tmpl_id
        category = self.env["product.category"].create({"name": "Bricks"})
        for user in self.sellers:
            for what, attempt in self._product_manager_attempts(user, template, category).items():
                with (
                    self.subTest(user=user.login, path=what),
                    self.assertRaisesRegex(AccessError, "Product Manager"),
                ):
                    attempt()
        self.env["ir.default"].with_user(self.seller).set(
            "product.template", "product_manager_id", self.seller.id, user_id=True
        )
        with self.assertRaisesRegex(AccessError, "Product Manager"):
            self.env["product.product"].with_user(self.seller).create({"name": "Sneaky"})
        self.assertFalse(self.env["product.template"].search([("name", "=", "Sneaky")]))
        self.assertFalse(template.product_manager_id | category.product_manager_id)
        # plain products, unchanged values, a re-import, and Sales Administrators
        product = self.env["product.product"].with_user(self.seller_all).create({"name": "Plain"})
        product.with_user(self.seller_all).write({"product_manager_id": False, "list_price": 5})
        template.with_user(self.director).product_manager_id = self.hunter
        names = ["id", "name", "product_manager_id"]
        rows = template.with_user(self.seller).export_data(names)["datas"]
        result = self.env["product.template"].with_user(self.seller).load(names, rows)
        self.assertEqual(result["ids"], template.ids)
        self.env["product.category"].with_user(self.director).create(
            {"name": "Tools", "product_manager_id": self.hunter.id}
        )

    def test_product_manager_by_moving_products_or_categories(self):
        """A product's manager is its own, else its category's: moving a product
        to another category, or a category under another, changes who manages
        it (and, through the quotations re-credited as superuser, whose lines
        a manager sees). Sales Administrators only, unless the manager stays."""
        Category = self.env["product.category"]
        mine = Category.create({"name": "Mine", "product_manager_id": self.seller.id})
        theirs = Category.create({"name": "Theirs", "product_manager_id": self.hunter.id})
        also_theirs = Category.create({"name": "Also Theirs", "product_manager_id": self.hunter.id})
        loose = Category.create({"name": "Loose"})
        brick = self.env["product.product"].create({"name": "Brick", "categ_id": theirs.id})
        sand = self.env["product.product"].create({"name": "Sand", "categ_id": loose.id})
        quotation = self.env["sale.order"].create(
            {
                "partner_id": self.key_account.id,
                "user_id": self.hunter_2.id,
                "order_line": [
                    Command.create({"product_id": brick.id}),
                    Command.create({"product_id": sand.id}),
                ],
            }
        )
        credited = {line.product_id: line.product_manager_id for line in quotation.order_line}
        self.assertEqual(credited, {brick: self.hunter, sand: self.env["res.users"]})
        for user in self.sellers:
            env = self.env(user=user)
            attempts = {
                "variant category": lambda env=env: brick.with_env(env).write({"categ_id": mine.id}),
                "template category": lambda env=env: brick.product_tmpl_id.with_env(env).write(
                    {"categ_id": loose.id}
                ),
                "category parent": lambda env=env: loose.with_env(env).write({"parent_id": mine.id}),
            }
            for what, attempt in attempts.items():
                # assertRaises rolls back what the refused write did before it was refused
                with self.subTest(user=user.login, path=what), self.assertRaises(AccessError) as refused:
                    attempt()
                self.assertIn("Product Manager", str(refused.exception))
        self.assertEqual((brick.categ_id, loose.parent_id), (theirs, Category))
        self.assertEqual(
            {line.product_id: line.product_manager_id for line in quotation.order_line}, credited
        )
        # The same manager, or a Sales Administrator: allowed.
        brick.with_user(self.seller).write({"categ_id": also_theirs.id})
        Category.create({"name": "Loose Too"}).with_user(self.seller).write({"parent_id": loose.id})
        loose.with_user(self.director).write({"parent_id": mine.id})
        self.assertEqual(
            quotation.order_line.filtered(lambda line: line.product_id == sand).product_manager_id,
            self.seller,
        )

    # ------------------------------------------------------------
    # Forms: read-only for non-admins (comfort; the model enforces)
    # ------------------------------------------------------------

    def test_forms_are_read_only_for_non_admins(self):
        records = {
            self.key_account: ("hunter_id", self.seller),
            self.product.product_tmpl_id: ("product_manager_id", self.seller),
            self.product.categ_id: ("product_manager_id", self.seller),
        }
        for record, (name, value) in records.items():
            with Form(record.with_user(self.seller)) as form, self.assertRaises(AssertionError):
                setattr(form, name, value)
            with Form(record.with_user(self.director)) as form:
                setattr(form, name, value)
            self.assertEqual(record[name], value)
        with Form(self.key_account.with_user(self.seller)) as form, self.assertRaises(AssertionError):
            form.sales_lifecycle_state = "regular"
        with Form(self.key_account.with_user(self.director)) as form:
            form.sales_lifecycle_state = "regular"
        self.assertEqual(self.key_account.sales_lifecycle_state, "regular")
