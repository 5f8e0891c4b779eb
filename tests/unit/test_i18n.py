"""The translation machinery: messages as values, catalogs compiled from .po, language choice."""

from __future__ import annotations

import gettext

import pytest

from pos_customers.domain import i18n
from pos_customers.domain.i18n import Msg, tr
from tests.helpers import TestCatalog as _Catalog


@pytest.fixture
def german_test_catalog():
    i18n.install("de", _Catalog({"{name} is longer than {limit} characters": "{name} ist länger als {limit} Zeichen",
                                 "First name": "Vorname", "Only a manager may do this": "Nur eine Leitung darf das",
                                 "Broken {x}": "Kaputt {x",
                                 "Broken {x": "Kaputt {"}))
    i18n.set_language("de")
    yield
    i18n.forget_catalogs()


def test_msg_is_english_as_str_and_translated_at_the_edge(german_test_catalog):
    msg = Msg("{name} is longer than {limit} characters", name=Msg("First name"), limit=80)
    assert str(msg) == "First name is longer than 80 characters"
    assert tr(msg) == "Vorname ist länger als 80 Zeichen"
    assert msg == "First name is longer than 80 characters"
    assert Msg.from_dict(msg.as_dict()).text == msg.text


def test_exceptions_raised_with_a_msg_or_a_constant_text_are_translated(german_test_catalog):
    assert tr(PermissionError(Msg("Only a manager may do this"))) == "Nur eine Leitung darf das"
    assert tr(PermissionError("Only a manager may do this")) == "Nur eine Leitung darf das"
    assert str(PermissionError(Msg("Only a manager may do this"))) == "Only a manager may do this"
    assert tr(ValueError("not in any catalog")) == "not in any catalog"


def test_a_missing_parameter_stays_visible(german_test_catalog):
    assert tr(Msg("{name} is longer than {limit} characters", name="Ann")) == "Ann ist länger als {limit} Zeichen"


def test_language_choice_falls_back_to_the_nearest_catalog_then_english():
    assert i18n.normalize("de_AT.UTF-8") == "de_AT"
    assert i18n.normalize("C.UTF-8") == ""
    assert i18n.choose("", "C", "de-CH") == "de"
    assert i18n.choose("it", "fr_BE") == "fr"
    assert i18n.choose("it") == "en"
    assert {"en", "de", "fr", "nl"} <= set(i18n.available())
    assert "xx" not in i18n.available()


def test_catalogs_compile_from_po_when_no_mo(tmp_path):
    po = tmp_path / "de" / "LC_MESSAGES" / "pos_customers.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Save"\nmsgstr "Speichern"\n\n#, fuzzy\nmsgid "Cancel"\nmsgstr "Abbrechen?"\n', encoding="utf-8")
    catalog = gettext.GNUTranslations(__import__("io").BytesIO(i18n.compile_po(po)))
    assert catalog.gettext("Save") == "Speichern"
    assert catalog.gettext("Cancel") == "Cancel"  # fuzzy entries are not used


def test_a_broken_translation_falls_back_to_english(german_test_catalog):
    assert tr(Msg("Broken {x}", x=1)) == "Broken 1"
