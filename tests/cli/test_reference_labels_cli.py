"""`customers show` names the customer's group, affiliations and attributes (and a choice's label) in
the command line's language, falling back to the default label."""

from dataclasses import replace

import pytest

from pos_customers.domain import i18n
from pos_customers.services import backoffice as bo
from pos_customers.services.context import Actor, Services
from pos_customers.services.customers import draft_from_view, get_customer, update_customer
from pos_customers.storage.engine import Database
from tests.cli.test_cli import run, store  # noqa: F401  (fixtures)


@pytest.fixture
def labelled(store):  # noqa: F811
    r = store("customers", "add", "--first", "Anna", "--last", "Müller", "--email", "anna@gmx.de")
    assert r.exit_code == 0, r.output
    ref = r.output.split()[1]
    svc, actor = Services(Database(store.db)), Actor.command_line()
    view = get_customer(svc, actor, ref)
    update_customer(svc, actor, view.id, replace(draft_from_view(view), group_code="LOYAL", affiliations=["CLUB"],
                                                 attributes={"CONTACT_TIME": "Morning"}), opened=view)
    bo.label_group(svc, actor, "LOYAL", "de", "Treueclub")
    bo.label_affiliation(svc, actor, "CLUB", "de", "Kundenclub")
    bo.label_attribute(svc, actor, "CONTACT_TIME", "de", "Kontaktzeit")
    bo.label_attribute(svc, actor, "CONTACT_TIME", "de", "Vormittags", choice="Morning")
    store.ref = ref
    yield store
    i18n.set_language(i18n.DEFAULT)


def test_show_in_german_names_them_in_german(labelled, monkeypatch):
    monkeypatch.setenv("POS_CUSTOMERS_LANG", "de")
    out = labelled("customers", "show", labelled.ref).output
    assert "Treueclub (LOYAL)" in out and "Kundenclub" in out
    assert "Kontaktzeit" in out and "Vormittags" in out


def test_show_in_english_keeps_the_default_labels(labelled):
    out = labelled("customers", "show", labelled.ref).output
    assert "Loyalty club members (LOYAL)" in out and "Customer club" in out
    assert "Preferred contact time" in out and "Morning" in out and "Vormittags" not in out
