"""`customers add` and `customers edit` follow the store's account options: one line saying which
field and why, exit code 2, nothing written."""

from pos_customers.services import account_options as ao
from pos_customers.services.context import Actor, Services
from pos_customers.storage.engine import Database
from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)
from tests.cli.test_customers_edit import q


def test_add_and_edit_refuse_what_the_options_refuse(store):
    db = Database(store.db)
    try:
        ao.set_account_options(Services(db), Actor.command_line(), birth_date="required", phones="hidden")
    finally:
        db.dispose()
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--phone", "0151 23456789")
    assert r.exit_code == 2
    assert r.output.strip() == ("error: --birth-date: Date of birth is required in this store; "
                                "--phone: Phone is not asked in this store: leave it empty")
    assert q(store.db, "SELECT count(*) FROM customer") == [(0,)]
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--birth-date", "1984-03-27")
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    r = store("customers", "edit", ref, "--birth-date", "")
    assert r.exit_code == 2 and "Date of birth is required in this store" in r.output
    r = store("customers", "edit", ref, "--phone-add", "030 1234567")
    assert r.exit_code == 2 and "Phone is not asked in this store" in r.output
    assert q(store.db, "SELECT birth_date FROM customer") == [("1984-03-27",)]
    assert q(store.db, "SELECT count(*) FROM customer_phone") == [(0,)]


def test_store_options_lists_and_sets_them_as_the_back_office_does(store):
    import json

    r = store("store", "options")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "account options of store BER01 (the new-customer form):"
    assert "  suffix             optional  Suffix (persons only)" in lines
    r = store("store", "options", "set", "suffix", "required")
    assert (r.exit_code, r.output.strip()) == (0, "Suffix: optional -> required in store BER01")
    r = store("store", "options", "set", "birth-date", "HIDDEN")
    assert (r.exit_code, r.output.strip()) == (0, "Date of birth: optional -> hidden in store BER01")
    r = store("store", "options", "set", "suffix", "required")
    assert r.output.strip() == "Suffix is already required in store BER01: nothing changed"
    assert json.loads(store("store", "options", "--json").output)["fields"][5] == {
        "field": "suffix", "label": "Suffix", "level": "required", "persons_only": True, "changeable": True}
    # the same audit rows and event as the back office: one per change
    assert q(store.db, "SELECT changes FROM audit_event WHERE entity = 'store_template' ORDER BY id") == [
        ('{"account_options.suffix": {"old": "optional", "new": "required"}}',),
        ('{"account_options.birth_date": {"old": "optional", "new": "hidden"}}',)]
    assert q(store.db, "SELECT count(*) FROM outbox_event WHERE event_type = 'template.updated'") == [(2,)]
    r = store("customers", "add", "--first", "Ben", "--last", "Berg")
    assert r.exit_code == 2 and "Suffix is required in this store" in r.output
    assert store("customers", "add", "--first", "Ben", "--last", "Berg", "--suffix", "Jr.").exit_code == 0

    for args, line in (
            (("cards", "required"), "error: 'cards' is not a field of the new-customer form that has an option"),
            (("last_name", "hidden"), "error: Last name cannot be hidden: every customer record needs it"),
            (("title", "maybe"), "error: Title: 'maybe' is not an option (hidden, optional or required)")):
        r = store("store", "options", "set", *args)
        assert r.exit_code == 2 and r.output.startswith(line) and len(r.output.splitlines()) == 1, r.output
    r = store("store", "options", "--store", "HAM01")
    assert r.exit_code == 1 and len(r.output.splitlines()) == 1
    assert q(store.db, "SELECT count(*) FROM audit_event WHERE entity = 'store_template'") == [(2,)]
