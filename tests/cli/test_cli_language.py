"""The command line speaks the reader's language: $POS_CUSTOMERS_LANG, then the locale ($LC_ALL,
$LC_MESSAGES, $LANG; C and POSIX count as unset), then the store's, else English. Help texts and
error lines are translated; --json stays as it is. A small German catalog of the test stands in
for the shipped one (so the test does not depend on how far the translators are)."""

import json

import pytest
from typer.testing import CliRunner

from pos_customers.cli import app
from pos_customers.domain import i18n
from tests.helpers import TestCatalog

GERMAN = {
    "Search, show, add, import and export customers.": "Kunden suchen, anzeigen, anlegen, importieren und exportieren.",
    "Show this message and exit.": "Diese Hilfe zeigen und beenden.",
    "Print JSON.": "JSON ausgeben.",
    "error: {message}": "Fehler: {message}",
    "--format is text or json": "--format ist text oder json",
    "no customers found": "keine Kunden gefunden",
}

#: what the locale says when nothing is set (a shell of a till PC over SSH often has LANG=C)
NO_LANGUAGE = {"POS_CUSTOMERS_LANG": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C"}


@pytest.fixture
def german():
    i18n.install("de", TestCatalog(GERMAN))
    yield
    i18n.forget_catalogs()  # the shipped catalogs again for whatever runs next in this worker
    i18n.set_language(i18n.DEFAULT)


def invoke(*args, **env):
    return CliRunner().invoke(app, [str(a) for a in args], env={**NO_LANGUAGE, **env})


def make_store(tmp_path, language: str):
    db = tmp_path / f"{language}.db"
    r = invoke("init", "--store", "BER01", "--number", 101, "--name", "Berlin", "--country", "DE",
               "--currency", "EUR", "--language", language, "--db", db, POS_CUSTOMERS_LANG="en")
    assert r.exit_code == 0, r.output
    return db


def test_with_a_german_locale_the_help_and_the_error_lines_are_german(german):
    r = invoke("customers", "--help", LANG="de_DE.UTF-8")
    assert r.exit_code == 0, r.output
    assert "Kunden suchen, anzeigen, anlegen, importieren und exportieren." in r.output
    assert "Diese Hilfe zeigen und beenden." in r.output
    assert "Search, show, add" not in r.output

    r = invoke("customers", "data", "X", "--format", "xml", LANG="de_DE.UTF-8")
    assert r.exit_code == 2
    assert "Fehler: --format ist text oder json" in r.output


def test_the_environment_comes_before_the_locale(german):
    r = invoke("customers", "data", "X", "--format", "xml", POS_CUSTOMERS_LANG="en", LANG="de_DE.UTF-8")
    assert "error: --format is text or json" in r.output
    r = invoke("customers", "data", "X", "--format", "xml", POS_CUSTOMERS_LANG="de", LANG="en_US.UTF-8")
    assert "Fehler: --format ist text oder json" in r.output


def test_english_when_the_locale_is_c_and_the_store_speaks_english(german, tmp_path):
    db = make_store(tmp_path, "en")
    r = invoke("customers", "search", "nobody-here", "--db", db)
    assert r.exit_code == 1 and "no customers found" in r.output
    r = invoke("customers", "--help")
    assert "Search, show, add, import and export customers." in r.output


def test_without_a_language_in_the_environment_the_store_decides(german, tmp_path):
    db = make_store(tmp_path, "de")
    r = invoke("customers", "search", "nobody-here", "--db", db)
    assert r.exit_code == 1 and "keine Kunden gefunden" in r.output
    # the locale's language wins over the store's
    r = invoke("customers", "search", "nobody-here", "--db", db, LANG="en_GB.UTF-8")
    assert "no customers found" in r.output


def test_json_stays_as_the_machines_read_it(german, tmp_path):
    db = make_store(tmp_path, "de")
    r = invoke("customers", "search", "", "--json", "--db", db, LANG="de_DE.UTF-8")
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)) == {"offset", "has_more", "results"}
