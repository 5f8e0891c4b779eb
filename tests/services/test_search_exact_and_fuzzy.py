"""Issue 15: a whole email, phone or card number is answered from its exact index alone (and the
normal search runs when nobody has it); names that sound alike or are one typo away are found
after every exact and prefix hit, marked, from keys kept up to date on every write."""

import sqlite3
import uuid

import pytest

from pos_customers.domain.search import parse_query
from pos_customers.services.customers import create_customer, draft_from_view, get_customer, update_customer
from pos_customers.services.privacy import anonymize_customer
from pos_customers.services.search import search_customers
from pos_customers.storage import customers as customer_rows
from pos_customers.storage import documents, migrate
from pos_customers.storage.search_index import integrity_problems
from tests.helpers import person


def found(svc, admin, text, **kw):
    return [(r.display_name, r.matched_by) for r in search_customers(svc, admin, text, limit=100, **kw).rows]


def keyed_words(svc) -> set[str]:
    conn = sqlite3.connect(svc.db.path)
    try:
        return {r[0] for r in conn.execute("SELECT word FROM customer_name_key WHERE key = 'd' || word")}
    finally:
        conn.close()


def problems(svc) -> list[str]:
    conn = sqlite3.connect(svc.db.path)
    try:
        return integrity_problems(conn)
    finally:
        conn.close()


# -- whole emails, phone numbers, cards: the exact index alone ---------------------------------------
@pytest.fixture
def contacts(svc, admin):
    anna = create_customer(svc, admin, person("Anna", "Müller", "anna.mueller@gmx.de", "0151 23456789",
                                              cards=["2000012345678"]))
    # each holds one of Anna's whole contacts inside a longer one: a fragment scan would find them
    create_customer(svc, admin, person("Joanna", "Berg", "joanna.mueller@gmx.de", "+44 20 7946 0958",
                                       cards=["92000012345678"]))
    return anna


@pytest.mark.parametrize("typed, how", [
    ("anna.mueller@gmx.de", "email"), ("ANNA.MUELLER@GMX.DE", "email"),
    ("0151 23456789", "phone"), ("+49 151 23456789", "phone"), ("(0151) 2345-6789", "phone"),
    ("2000012345678", "card")])
def test_a_whole_contact_finds_its_customer_alone(svc, admin, contacts, typed, how):
    assert parse_query(typed, country="DE").complete
    assert found(svc, admin, typed) == [("Anna Müller", how)]


def test_a_reference_finds_its_customer_alone(svc, admin, contacts):
    assert found(svc, admin, contacts.reference) == [("Anna Müller", "reference")]


@pytest.mark.parametrize("typed, expect", [
    # whole and valid, but nobody has it: the fragment search finds what contains it
    ("mueller@gmx.de", {("Anna Müller", "fragment"), ("Joanna Berg", "fragment")}),
    ("0151 2345678", {("Anna Müller", "phone")}),
    ("000012345678", {("Anna Müller", "phone"), ("Joanna Berg", "phone")}),
])
def test_a_whole_contact_nobody_has_falls_back_to_the_normal_search(svc, admin, contacts, typed, expect):
    q = parse_query(typed, country="DE")
    assert q.complete and (q.email_key or q.phone_e164 or q.card)
    assert set(found(svc, admin, typed)) == expect


def test_a_plainly_typed_phone_number_needs_no_phonenumbers(svc, admin, contacts, monkeypatch):
    import phonenumbers

    def refuse(*args, **kwargs):
        raise AssertionError("phonenumbers.parse called")

    monkeypatch.setattr(phonenumbers, "parse", refuse)
    for typed in ("0151 23456789", "+49 151 23456789", "015123456789"):
        assert found(svc, admin, typed) == [("Anna Müller", "phone")]


def test_one_statement_answers_a_number_that_is_a_phone_and_a_card(svc, admin, contacts):
    # the exact lookups share one statement: the phone's customer first, then the card's
    create_customer(svc, admin, person("Carla", "Stein", cards=["015123456789"]))
    assert found(svc, admin, "015123456789") == [("Anna Müller", "phone"), ("Carla Stein", "card")]


def test_a_reference_that_is_also_a_card_finds_the_reference_alone(svc, admin, contacts):
    create_customer(svc, admin, person("Carla", "Stein", cards=[contacts.reference]))
    assert found(svc, admin, contacts.reference) == [("Anna Müller", "reference")]


def test_a_reference_nobody_here_has_is_searched_as_what_else_it_reads_as(svc, admin, contacts):
    # a valid reference of no customer here, which is also a card number: the card is found
    from pos_customers.domain.reference import make_reference

    other = make_reference(77, 5, terminal=3)
    assert any(c.isdigit() for c in other)  # a card number has a digit
    create_customer(svc, admin, person("Carla", "Stein", cards=[other]))
    assert found(svc, admin, other) == [("Carla Stein", "card")]
    assert found(svc, admin, other.lower()) == [("Carla Stein", "card")]


@pytest.mark.parametrize("typed", ["anna.m@", "mueller@gm", "anna@gmx", "0151", "gmx.de", "anna"])
def test_parts_are_not_complete(typed):
    assert not parse_query(typed, country="DE").complete


# -- sound-alike and one-typo names ------------------------------------------------------------------
@pytest.fixture
def names(svc, admin):
    return {key: create_customer(svc, admin, person(first, last)) for key, first, last in [
        ("meier", "Karl", "Meier"), ("meyer", "Hans", "Meyer"), ("schmidt", "Eva", "Schmidt"),
        ("mueller", "Jürgen", "Mueller"), ("meiners", "Olaf", "Meiners")]}


def test_meier_finds_meyer_after_the_exact_and_prefix_hits(svc, admin, names):
    assert found(svc, admin, "meier") == [("Karl Meier", "name"), ("Hans Meyer", "sounds_like")]
    assert found(svc, admin, "meyer") == [("Hans Meyer", "name"), ("Karl Meier", "sounds_like")]
    assert found(svc, admin, "mei") == [("Olaf Meiners", "name"), ("Karl Meier", "name")]  # prefixes only


def test_shmidt_finds_schmidt(svc, admin, names):
    assert found(svc, admin, "shmidt") == [("Eva Schmidt", "sounds_like")]
    assert found(svc, admin, "eva shmidt") == [("Eva Schmidt", "sounds_like")]
    assert found(svc, admin, "schmidr") == [("Eva Schmidt", "typo")]  # one letter wrong, not alike
    assert found(svc, admin, "schmdit") == [("Eva Schmidt", "typo")]  # two letters swapped


def test_mueller_and_mueller_spelled_with_an_umlaut(svc, admin, names):
    anna = create_customer(svc, admin, person("Anna", "Müller"))
    assert found(svc, admin, "Müller") == [("Anna Müller", "name"), ("Jürgen Mueller", "sounds_like")]
    assert found(svc, admin, "muller") == [("Anna Müller", "name"), ("Jürgen Mueller", "sounds_like")]
    assert found(svc, admin, "mueller") == [("Anna Müller", "name"), ("Jürgen Mueller", "name")]  # newest first
    assert anna.id


def test_short_words_and_far_words_find_nothing_fuzzy(svc, admin, names):
    assert found(svc, admin, "mey") == [("Hans Meyer", "name")]
    assert found(svc, admin, "schnabel") == []
    assert found(svc, admin, "karl shmidt") == []  # every word must match, as typed or alike


def test_a_word_still_being_typed_gets_no_alternatives(svc, admin, names):
    # "mein" begins "meiners" and is no name of its own: being typed, not misspelt ("meier" is one
    # letter away, yet not offered)
    assert found(svc, admin, "mein") == [("Olaf Meiners", "name")]
    # a word that begins no stored name does: "meyr" sounds like both
    assert found(svc, admin, "meyr") == [("Hans Meyer", "sounds_like"), ("Karl Meier", "sounds_like")]


def test_a_full_page_of_name_hits_looks_no_further(svc, admin, names):
    for first in ("Ida", "Uwe", "Tom"):
        create_customer(svc, admin, person(first, "Meier"))
    page = search_customers(svc, admin, "meier", limit=3)
    assert [r.matched_by for r in page.rows] == ["name"] * 3
    assert "sounds_like" in {r.matched_by for r in search_customers(svc, admin, "meier", limit=10).rows}


# -- the keys follow every write -----------------------------------------------------------------------
def test_an_edit_moves_the_keys(svc, admin, names):
    view = get_customer(svc, admin, names["schmidt"].id)
    draft = draft_from_view(view)
    draft.last_name = "Schulz"
    update_customer(svc, admin, view.id, draft, opened=view)
    assert found(svc, admin, "shmidt") == []
    assert found(svc, admin, "shulz") == [("Eva Schulz", "sounds_like")]
    assert "schmidt" not in keyed_words(svc) and "schulz" in keyed_words(svc)
    assert problems(svc) == []


def test_an_anonymized_name_leaves_no_keys(svc, admin, names):
    anonymize_customer(svc, admin, names["schmidt"].id, names["schmidt"].reference)
    assert "schmidt" not in keyed_words(svc)
    assert found(svc, admin, "shmidt") == []
    # a word another customer still has keeps its keys
    anonymize_customer(svc, admin, names["meyer"].id, names["meyer"].reference)
    assert "meier" in keyed_words(svc) and "meyer" not in keyed_words(svc)


def test_a_pulled_customer_and_a_pulled_change_are_found_alike(svc, admin, names):
    with svc.db.read() as s:
        doc = customer_rows.read(s, names["meier"].id).to_document()
    new = dict(doc, id=str(uuid.uuid4()), reference="AAAAAAAAA",
               fields={**doc["fields"], "first_name": "Lena", "last_name": "Schwarzkopf", "emails": [],
                       "phones": [], "cards": []})
    with svc.db.write() as s:
        documents.apply_document(s, new)
    assert found(svc, admin, "shwarzkopf") == [("Lena Schwarzkopf", "sounds_like")]
    changed = dict(new, fields={**new["fields"], "last_name": "Weiss"})
    with svc.db.write() as s:
        documents.apply_document(s, changed)
    assert found(svc, admin, "shwarzkopf") == []
    assert found(svc, admin, "wiess lena") == [("Lena Weiss", "sounds_like")]
    assert "schwarzkopf" not in keyed_words(svc)
    assert problems(svc) == []


def test_revision_0012_builds_keys_for_the_customers_already_held(svc, admin, names):
    svc.db.dispose()
    migrate.downgrade(svc.db, "0007")
    conn = sqlite3.connect(svc.db.path)
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'customer_name_key'").fetchall()
    conn.close()
    migrate.upgrade(svc.db)
    assert {"meier", "meyer", "schmidt", "mueller", "karl", "hans"} <= keyed_words(svc)
    assert found(svc, admin, "shmidt") == [("Eva Schmidt", "sounds_like")]
    assert problems(svc) == []
