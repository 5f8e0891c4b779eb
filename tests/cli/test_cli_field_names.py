"""The command line names a refused field by its option (--birth-date), else by its label in the
reader's language, never by an internal path (emails.0.address); money and dates as the store
writes them."""

from __future__ import annotations

from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)


def test_a_refused_add_names_the_options(store):
    r = store("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@", "--phone", "12",
              "--birth-date", "31.02.1990")
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "--email:" in line and "--phone:" in line and "--birth-date:" in line, line
    assert "emails.0" not in line and "phones.0" not in line and "birth_date" not in line, line


def test_german_edit_says_the_changed_fields_and_reads_german_money(store, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    r = store("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@example.org")
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    r = store("customers", "edit", ref, "--birth-date", "27.03.1984", "--phone-add", "0151 23456789",
              "--credit-limit", "1.500,00")
    assert r.exit_code == 0, r.output
    assert "Geburtsdatum" in r.output and "Telefon" in r.output and "Kreditlimit" in r.output, r.output
    assert "birth_date" not in r.output and "credit_limit" not in r.output, r.output
    shown = store("customers", "show", ref).output
    assert "1.500,00" in shown and "27.03.1984" in shown, shown
    r = store("customers", "edit", ref, "--credit-limit", "1,500.00")
    assert r.exit_code == 2 and "--credit-limit:" in r.output and "1.500,50" in r.output, r.output


def test_the_exit_codes_are_the_readmes(store):
    from pathlib import Path

    readme = Path(__file__).parents[2].joinpath("README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    assert all(f"| {code} |" in table for code in range(5)), table
    assert store("customers", "show", "NOPE12345").exit_code == 1
    assert store("customers", "edit", "NOPE12345", "--first", "X").exit_code == 1
    assert store("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@example.org").exit_code == 0
    dup = store("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@example.org")
    assert dup.exit_code == 4 and "--allow-duplicate" in dup.output, dup.output
    assert store("customers", "add", "--first", "Eva", "--birth-date", "x").exit_code == 2


def test_show_and_orders_say_their_codes_in_the_readers_language(store, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    r = store("customers", "add", "--first", "Eva", "--last", "Lang", "--email", "eva@example.org",
              "--phone", "0151 23456789", "--street", "Hauptstr. 1", "--city", "Berlin", "--postal-code", "10115")
    assert r.exit_code == 0, r.output
    shown = store("customers", "show", r.output.split()[1]).output
    assert "(privat, primär)" in shown and "(mobil, primär)" in shown, shown
    assert "personal" not in shown and "mobile" not in shown and "HOME" not in shown, shown


def test_headquarters_dates_follow_the_readers_language(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pos_customers.cli import app

    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    db = f"sqlite:///{tmp_path / 'hq.db'}"
    runner = CliRunner()
    r = runner.invoke(app, ["hq", "segments", "add", "vip", "--name", "VIP", "--rule",
                            '{"kind": "group", "codes": ["VIP"]}', "--db", db])
    assert r.exit_code == 0, r.output
    listed = runner.invoke(app, ["hq", "segments", "list", "--db", db]).output
    assert " PM" not in listed and " AM" not in listed and "." in listed.split("vip", 1)[1], listed
