import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_customers.domain.reference import format_reference
from pos_customers.services.customers import create_customer
from pos_customers.services.search import search_customers
from tests.helpers import person


@pytest.fixture
def people(svc, admin):
    made = {
        "anna": create_customer(svc, admin, person("Anna", "Müller", "anna.mueller@gmx.de", "0151 23456789",
                                                   "10115", cards=["2000012345678"])),
        "annette": create_customer(svc, admin, person("Annette", "Schröder", "a.schroeder@web.de", "0170 5551234")),
        "mark": create_customer(svc, admin, person("Mark", "Mullins", "mark@example.com", "+44 20 7946 0958")),
        "jose": create_customer(svc, admin, person("José", "García Peña", "jose@correo.es", "+34 612 345 678")),
    }
    for i in range(30):
        create_customer(svc, admin, person("Anna", "Filler" + string.ascii_lowercase[i // 26] + string.ascii_lowercase[i % 26]))
    return made


def names(svc, admin, text, **kw):
    return [r.display_name for r in search_customers(svc, admin, text, **kw).rows]


@pytest.mark.parametrize("typed", ["ann mül", "mul ann", "MÜLLER", "mueller", "Müll", "anna muller"])
def test_name_words_any_order_prefix_and_diacritics(svc, admin, people, typed):
    assert "Anna Müller" in names(svc, admin, typed)


def test_all_words_must_match(svc, admin, people):
    got = names(svc, admin, "ann mül")
    assert "Annette Schröder" not in got and "Mark Mullins" not in got


def test_spanish_names_without_accents(svc, admin, people):
    assert names(svc, admin, "jose pena") == ["José García Peña"]


@pytest.mark.parametrize("typed", ["0151 234", "+49151234", "(151) 234-", "0151-2345-6789", "+49 151 23456789"])
def test_phone_fragments_in_any_formatting(svc, admin, people, typed):
    assert names(svc, admin, typed)[0] == "Anna Müller"


def test_a_national_fragment_finds_the_number_with_its_zero_only(svc, admin):
    """"0151 234" is looked for without its leading 0 in the index, then checked whole: a number
    holding "151234" elsewhere (Berlin 030 21512345) is no hit; the mobile number is."""
    create_customer(svc, admin, person("Mona", "Mobil", phone="0151 23456780"))
    create_customer(svc, admin, person("Fritz", "Festnetz", phone="030 21512345"))
    assert names(svc, admin, "0151 234") == ["Mona Mobil"]
    assert names(svc, admin, "151234") == ["Fritz Festnetz", "Mona Mobil"]


@pytest.mark.parametrize("typed", ["anna.mueller@gmx.de", "ANNA.MUELLER@GMX.DE", "mueller@gm", "anna.mue", "gmx.de"])
def test_email_and_parts(svc, admin, people, typed):
    assert "Anna Müller" in names(svc, admin, typed)


def test_reference_with_or_without_separators_any_case(svc, admin, people):
    ref = people["anna"].reference
    for typed in (ref, ref.lower(), format_reference(ref), format_reference(ref).lower().replace("-", " ")):
        page = search_customers(svc, admin, typed)
        assert page.rows[0].customer_id == people["anna"].id
        assert page.rows[0].matched_by == "reference"


def test_card_number(svc, admin, people):
    page = search_customers(svc, admin, "2000012345678")
    assert page.rows[0].display_name == "Anna Müller" and page.rows[0].matched_by == "card"


def test_exact_email_ranks_before_name_matches(svc, admin, people):
    create_customer(svc, admin, person("Markus", "Markson", "other@example.com"))
    page = search_customers(svc, admin, "mark@example.com")
    assert page.rows[0].display_name == "Mark Mullins" and page.rows[0].matched_by == "email"


def test_results_are_limited_and_paged(svc, admin, people):
    first = search_customers(svc, admin, "anna", limit=10)
    second = search_customers(svc, admin, "anna", limit=10, offset=10)
    assert len(first.rows) == 10 and first.has_more
    assert not {r.customer_id for r in first.rows} & {r.customer_id for r in second.rows}
    everything = search_customers(svc, admin, "anna", limit=500)
    assert len(everything.rows) == 31 and not everything.has_more


def test_empty_box_lists_recent_customers_of_this_store(svc, admin, people):
    page = search_customers(svc, admin, "", limit=5)
    assert len(page.rows) == 5 and page.has_more
    assert all(r.matched_by == "recent" for r in page.rows)


@pytest.mark.parametrize("typed", ['"', '*', '"*"', "-", "NEAR", "AND", "OR NOT", "(", ")", "ann*",
                                   'ann"', "mül -ann", "NEAR(ann mül)", "^ann", "ann:mül", "{a b}",
                                   "😀", "ann 😀", "%", "_", "'; DROP TABLE customer; --", "\x00", " " * 50,
                                   "a" * 5000, "@", "@@", "+", "()", "0", "00"])
def test_hostile_text_never_raises(svc, admin, people, typed):
    search_customers(svc, admin, typed)


def test_quotes_and_stars_still_find_the_words(svc, admin, people):
    assert "Anna Müller" in names(svc, admin, '"anna" *müller*')


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
def test_search_never_raises_for_any_string(svc, admin, text):
    page = search_customers(svc, admin, text)
    assert isinstance(page.rows, list)


_name = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüéñçßø"), min_size=2, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_name, last=_name, local=st.text(alphabet="abcdefghijklmnop", min_size=3, max_size=10),
       subscriber=st.integers(min_value=1000000, max_value=9999999))
def test_a_new_customer_is_found_by_every_field(svc, admin, first, last, local, subscriber):
    email = f"{local}.{subscriber}@example.org"
    phone = f"0151 {subscriber}0"
    view = create_customer(svc, admin, person(first.capitalize(), last.capitalize(), email, phone))

    def found(text):
        return view.id in {r.customer_id for r in search_customers(svc, admin, text, limit=500).rows}

    assert found(first) and found(last)
    assert found(f"{last} {first}")
    assert found(email) and found(email.upper()) and found(f"{local}.{subscriber}")
    assert found(str(subscriber)[:5])
    assert found(view.reference) and found(format_reference(view.reference).lower())


def test_a_search_past_its_time_is_stopped_and_says_so(svc, admin, people, monkeypatch):
    import pos_customers.services.search as search

    assert [r.display_name for r in search_customers(svc, admin, "anna", within=10).rows] == \
        [r.display_name for r in search_customers(svc, admin, "anna").rows]
    monkeypatch.setattr(search, "PROGRESS_STEPS", 1)  # SQLite looks at the clock at every step
    with pytest.raises(search.SearchInterrupted):
        search_customers(svc, admin, "anna", within=0)
    assert search_customers(svc, admin, "anna").rows  # the pooled connection is as it was
