"""Which language a person reads: the override, config.toml, the associate's own choice, the
store's language, English; and the command line's order."""

from __future__ import annotations

import sqlite3

import pytest

from pos_customers.domain.errors import FieldProblem
from pos_customers.services.language import (cli_language, environment_language, language_for,
                                             preferred_language, set_preferred_language)
from pos_customers.ui.config import ConfigError, load_config


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("POS_CUSTOMERS_LANG", raising=False)


def test_the_store_language_then_the_associates_own_choice(svc, associate, manager):
    assert language_for(svc, associate) == "de"  # the Berlin store of the fixture
    assert language_for(svc, None) == "de"
    assert set_preferred_language(svc, associate, "fr_BE") == "fr"
    assert language_for(svc, associate) == "fr"
    assert language_for(svc, manager) == "de"  # each associate their own
    set_preferred_language(svc, associate, "nl")
    assert preferred_language(svc, associate.associate_number) == "nl"
    rows = sqlite3.connect(svc.db.path).execute("SELECT associate_number, language FROM associate_preference").fetchall()
    assert rows == [("1002", "nl")]
    # a personal setting: nothing for headquarters, no audit row
    assert sqlite3.connect(svc.db.path).execute(
        "SELECT count(*) FROM outbox_event WHERE entity = 'associate_preference'").fetchone()[0] == 0


def test_config_and_the_environment_override_everything(svc, associate):
    set_preferred_language(svc, associate, "fr")
    assert language_for(svc, associate, configured="nl") == "nl"
    assert language_for(svc, associate, configured="nl", environ={"POS_CUSTOMERS_LANG": "de_CH"}) == "de"
    assert language_for(svc, associate, configured="it", environ={"POS_CUSTOMERS_LANG": ""}) == "fr"


def test_the_override():
    from pos_customers.services.language import override

    assert override({"POS_CUSTOMERS_LANG": "de_AT"}) == "de"
    assert override({"POS_CUSTOMERS_LANG": "it"}) == ""
    assert override({}) == ""


def test_english_when_nothing_is_served(svc, associate):
    with sqlite3.connect(svc.db.path) as conn:
        conn.execute("UPDATE store SET language = 'it'")
    assert language_for(svc, associate) == "en"


def test_a_language_without_a_catalog_is_refused(svc, associate):
    with pytest.raises(FieldProblem) as caught:
        set_preferred_language(svc, associate, "it")
    assert "it" in str(caught.value)
    assert preferred_language(svc, associate.associate_number) == ""


def test_command_line_order():
    assert cli_language("de", {}) == "de"
    assert cli_language("de", {"LANG": "C.UTF-8"}) == "de"
    assert cli_language("de", {"LANG": "fr_FR.UTF-8"}) == "fr"
    assert cli_language("de", {"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "nl_NL.UTF-8"}) == "nl"
    assert cli_language("de", {"LANG": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}) == "en"
    assert cli_language("de", {"LANG": "fr_FR.UTF-8", "POS_CUSTOMERS_LANG": "nl"}) == "nl"
    assert cli_language(None, {"LANG": "it_IT.UTF-8"}) == "en"
    assert environment_language({"LANG": "it_IT.UTF-8", "LC_MESSAGES": "C"}) == ""
    assert environment_language({"LANG": "fr_CH.UTF-8"}) == "fr"


def test_config_display_language(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[display]\nlanguage = "de"\n', encoding="utf-8")
    assert load_config(path).language == "de"
    path.write_text('[display]\nlanguage = 7\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)
    assert load_config(tmp_path / "none.toml").language == ""
