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
    assert r.output.strip() == ("error: birth_date: Date of birth is required in this store; "
                                "phones.0.number: Phone is not asked in this store: leave it empty")
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
