from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

I18N = Path(__file__).resolve().parents[1] / "i18n"


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every translatable term of the addon has its Russian translation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        reader = TranslationModuleReader(cls.env.cr, modules=["sales_roles"])
        cls.terms = {source for module, _type, _name, _res_id, source, _value, _comments in reader if source}

    def test_template_is_up_to_date(self):
        template = {entry.msgid for entry in polib.pofile(str(I18N / "sales_roles.pot"))}
        missing = sorted(self.terms - template)
        self.assertFalse(
            missing, f"{len(missing)} terms are not in sales_roles.pot: run ./dev pot\n{missing[:20]}"
        )

    def test_every_term_has_a_russian_translation(self):
        russian = {entry.msgid: entry.msgstr for entry in polib.pofile(str(I18N / "ru.po"))}
        untranslated = sorted(term for term in self.terms if not russian.get(term))
        self.assertFalse(
            untranslated,
            f"{len(untranslated)} terms have no Russian translation in ru.po\n{untranslated[:20]}",
        )

    def test_russian_translation_is_used(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search([("name", "=", "sales_roles")])._update_translations(["ru_RU"])
        position = self.env.ref("sales_roles.position_key_account_manager").with_context(lang="ru_RU")
        self.assertEqual(position.name, polib.pofile(str(I18N / "ru.po")).find("Key Account Manager").msgstr)
        states = dict(
            self.env["res.partner"]
            .with_context(lang="ru_RU")
            ._fields["sales_lifecycle_state"]
            ._description_selection(self.env(context={"lang": "ru_RU"}))
        )
        self.assertEqual(states["regular"], "Постоянный клиент")
