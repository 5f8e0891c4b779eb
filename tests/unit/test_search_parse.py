import pytest

from pos_customers.domain.reference import make_reference
from pos_customers.domain.search import fts_name_query, name_index_text, parse_query, whole_reference


def test_words_become_quoted_prefixes():
    q = parse_query('ann "mül* NEAR(', country="DE")
    assert q.name_words == ("ann", "mul", "near")
    assert fts_name_query(q.name_words) == '"ann"* "mul"* "near"*'


@pytest.mark.parametrize("typed,digits", [("0151 234", "0151234"), ("+49151234", "49151234"),
                                          ("(151) 234-", "151234")])
def test_phone_fragments_become_digits(typed, digits):
    q = parse_query(typed, country="DE")
    assert q.fragment == digits and not q.name_words


def test_full_phone_number_is_also_an_exact_lookup():
    assert parse_query("0151 23456789", country="DE").phone_e164 == "+4915123456789"


def test_email_and_reference():
    assert parse_query("Anna@GMX.de", country="DE").email_key == "anna@gmx.de"
    ref = make_reference(3, 3, terminal=1)
    assert parse_query(ref.lower(), country="DE").reference == ref
    assert parse_query(ref[:5], country="DE").reference_prefix == ref[:5]


def test_control_characters_and_length_are_tamed():
    q = parse_query("an\x00na" + "x" * 1000, country="DE")
    assert "\x00" not in q.text and len(q.text) <= 200


def test_name_index_text_has_german_spellings():
    assert name_index_text("Anna", "Müller") == "anna muller mueller"
    assert name_index_text("Weiß") == "weiss"


@pytest.mark.parametrize("typed", [
    "{ref}", "{ref_lower}", "{formatted}", "{formatted_lower}", " {formatted} ", "{spaced}", "{ref} x",
    "seg:vip {ref}", "{bad}", "{ref}0", "{ref_short}", "", "anna", "0151 23456789", "a@b.de"])
def test_a_whole_reference_is_read_as_parse_query_reads_it(typed):
    # whole_reference answers before the rest of the text is read: it agrees with parse_query
    from pos_customers.domain.reference import format_reference

    ref = make_reference(12, 345, terminal=2)
    bad = ref[:-1] + ("0" if ref[-1] != "0" else "1")
    text = typed.format(ref=ref, ref_lower=ref.lower(), formatted=format_reference(ref),
                        formatted_lower=format_reference(ref).lower(), spaced=" ".join(ref), bad=bad,
                        ref_short=ref[:-1])
    q = parse_query(text, country="DE")
    got = whole_reference(text)
    if got is not None:
        assert got == q.reference == ref
    else:  # not read early: either no reference, or one parse_query reads (seg: words, many separators)
        assert q.reference in (None, ref) and (q.reference is None or q.segments or len(text.strip()) > 16)
