"""`customers members / organizations / link / unlink`: rows written, one-line errors."""

import json
import sqlite3

from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)


def add(store, *args):
    r = store("customers", "add", *args)
    assert r.exit_code == 0, r.output
    return r.output.split()[1]


def test_link_list_and_unlink(store):  # noqa: F811
    acme = add(store, "--type", "organization", "--organization", "Acme GmbH", "--street", "Industriestr. 5",
               "--city", "Berlin", "--postal-code", "10115")
    anna = add(store, "--first", "Anna", "--last", "Müller", "--phone", "0151 23456789")
    bob = add(store, "--first", "Bob", "--last", "Bauer", "--phone", "0151 99887766")
    r = store("customers", "link", anna, acme, "--role", "buyer", "--primary")
    assert r.exit_code == 0 and r.output.strip() == "linked: buyer, primary contact"
    assert store("customers", "link", bob, acme, "--role", "Manager", "--manager").exit_code == 0
    r = store("customers", "members", acme)
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert "Anna Müller" in lines[0] and "primary contact" in lines[0]
    assert "Bob Bauer" in lines[1] and lines[1].rstrip().endswith("manager")
    listed = json.loads(store("customers", "members", acme, "--json").output)
    assert [(p["name"], p["role"], p["primary"], p["manager"]) for p in listed] == [
        ("Anna Müller", "buyer", True, False), ("Bob Bauer", "manager", False, True)]
    r = store("customers", "organizations", anna)
    assert r.exit_code == 0 and "Acme GmbH" in r.output and "manager: Bob Bauer" in r.output
    assert "10115 Berlin" in r.output
    assert store("customers", "unlink", anna, acme).exit_code == 0
    db = store.db
    assert sqlite3.connect(db).execute("SELECT count(*) FROM customer_membership WHERE active").fetchone() == (1,)
    assert sqlite3.connect(db).execute(
        "SELECT count(*) FROM outbox_event WHERE event_type = 'membership.changed'").fetchone() == (3,)
    assert sqlite3.connect(db).execute(
        "SELECT action FROM audit_event WHERE entity = 'membership' ORDER BY id").fetchall() == [
            ("link",), ("link",), ("unlink",)]


def test_mistakes_are_one_line_and_write_nothing(store):  # noqa: F811
    acme = add(store, "--type", "organization", "--organization", "Acme GmbH")
    anna = add(store, "--first", "Anna", "--last", "Müller")
    for args, code, words in [(("link", anna, acme, "--role", "chef"), 2, "Unknown role 'chef'"),
                              (("link", acme, anna), 2, "is not an organization"),
                              (("link", anna, "ZZZZZZZZZ"), 1, "no customer"),
                              (("unlink", anna, acme), 2, "is not a member"),
                              (("members", anna), 2, "is not an organization"),
                              (("members", acme), 1, "no people in this organization")]:
        r = store("customers", *args)
        assert r.exit_code == code, (args, r.output)
        assert words in r.output and len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert sqlite3.connect(store.db).execute("SELECT count(*) FROM customer_membership").fetchone() == (0,)


def test_search_by_the_organizations_name_lists_its_people_marked(store):  # noqa: F811
    acme = add(store, "--type", "organization", "--organization", "Acme GmbH")
    anna = add(store, "--first", "Anna", "--last", "Müller")
    store("customers", "link", anna, acme, "--role", "buyer")
    lines = store("customers", "search", "acme").output.splitlines()
    assert "Acme GmbH" in lines[0] and "Anna Müller (via Acme GmbH)" in lines[1]
