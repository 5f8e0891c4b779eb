"""The sound-alike and one-typo keys of name words (domain/fuzzy.py)."""

import pytest

from pos_customers.domain import fuzzy


def stored(*words: str) -> list[tuple[str, str]]:
    return fuzzy.key_rows(words)


@pytest.mark.parametrize("typed, word", [("meier", "meyer"), ("maier", "meyer"), ("shmidt", "schmidt"),
                                         ("muller", "mueller"), ("smyth", "smith"), ("garsia", "garcia")])
def test_names_that_sound_alike_share_a_key(typed, word):
    assert fuzzy.alternatives([typed], stored(word)).sounds_like == {typed: (word,)}


def test_a_shared_phonetic_code_alone_is_no_sound_alike():
    """Kölner Phonetik codes m and n alike: "shmidt" and "Zanetti" are both 862, yet not alike."""
    assert set(fuzzy.sound_keys("shmidt")) & set(fuzzy.sound_keys("zanetti"))
    assert fuzzy.alternatives(["shmidt"], stored("zanetti", "schmidt")).sounds_like == {"shmidt": ("schmidt",)}


@pytest.mark.parametrize("typed", ["schmdit", "schmidr", "schmit", "schmiddt"])
def test_one_typo_is_found_by_its_deletion_keys(typed):
    alternatives = fuzzy.alternatives([typed], stored("schmidt"))
    assert "schmidt" in alternatives.typo.get(typed, ()) + alternatives.sounds_like.get(typed, ())


def test_two_edits_sharing_a_deletion_key_are_no_typo():
    # meixer - x = meier = meiery - y: the same deletion key, but two edits apart
    assert set(fuzzy.typo_keys("meixer")) & set(fuzzy.typo_keys("meiery"))
    assert fuzzy.alternatives(["meixer"], stored("meiery")).typo == {}


def test_the_typed_word_and_its_continuations_are_not_alternatives():
    # the exact and prefix steps find those
    found = fuzzy.alternatives(["meier"], stored("meier", "meiers", "meyer"))
    assert found.sounds_like == {"meier": ("meyer",)} and found.typo == {}


@pytest.mark.parametrize("word", ["ann", "a", "li", "2000", "x" * 33, "o'neil"])
def test_short_long_or_not_letters_get_no_keys(word):
    assert fuzzy.word_keys(word) == []


def test_the_fts_query_quotes_every_word_and_ands_the_groups():
    assert fuzzy.fts_query(("anna", "shmidt"), {"shmidt": ("schmidt", "schmitt")}) == (
        '"anna"* AND ("schmidt" OR "schmitt")')
    assert fuzzy.fts_query(("meier", "shmidt"), {"meier": ("meyer",), "shmidt": ("schmidt",)}) == (
        '(("meyer") AND ("shmidt"* OR "schmidt")) OR (("meier"* OR "meyer") AND ("schmidt"))')
    assert fuzzy.fts_query(("anna",), {}) is None


def test_alternatives_are_bounded_closest_first():
    words = [f"meie{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + ["meir"]
    found = fuzzy.alternatives(["meier"], stored(*words))
    everything = found.typo["meier"] + found.sounds_like.get("meier", ())
    assert len(found.typo["meier"]) <= fuzzy.MAX_ALTERNATIVES and "meir" in everything


def test_a_word_that_only_begins_stored_words_has_no_alternatives():
    assert fuzzy.alternatives(["mein"], stored("meiners", "meier")).typo == {}
    # a whole stored word that also begins others still has them
    assert fuzzy.alternatives(["meier"], stored("meier", "meiers", "meyer")).sounds_like == {"meier": ("meyer",)}
