"""Names that sound alike or are one typo away: the keys that find them, and the check (pure).

The keys belong to name *words*, not to customers: a chain of a million customers has a few
thousand distinct name words, so the table of keys stays small and a search reads a handful of
its rows. Every name word of four to 32 letters has:

- ``k`` + its Kölner Phonetik code (German names: Meier, Meyer, Maier, Mayer -> 67),
- ``m`` + its Double Metaphone codes (other names: Smith, Smyth -> SM0 and XMT),
- ``d`` + the word itself and each one-letter deletion of it (a deletion neighbourhood: a typed
  word and a stored word one typo apart share one of these keys, found by a lookup, not a scan),
- ``p`` + each of its beginnings of four letters or more: a typed word that only begins stored
  words ("flor" of "Florence") is being typed, not misspelt, and gets no alternatives.

A search looks up the typed word's own keys, keeps the stored words that really sound alike (a
shared phonetic key and a Jaro-Winkler similarity of at least ``SOUND_SIMILARITY``) or are
one edit away (OSA distance 1: a letter missing, extra or wrong, or two letters swapped), and asks
the word index for customers with those words. Hits are marked ``sounds_like`` or ``typo`` and
ranked after every exact and prefix hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import cologne_phonetics
from doublemetaphone import doublemetaphone

MIN_LETTERS = 4        # shorter words sound like half the names ("ann", "mai")
MAX_LETTERS = 32       # longer ones are no names anybody types
MAX_ALTERNATIVES = 24  # stored words one typed word may stand for (closest first)
MAX_KEY = 40           # "d" + a word of 32 letters fits, as does every phonetic code
# a sound-alike must also look alike (Jaro-Winkler): a phonetic code alone is too coarse (Kölner
# Phonetik codes m and n alike, so "shmidt" and "Zanetti" are both 862); Meier / Mayer is 0.76
SOUND_SIMILARITY = 0.7

SOUNDS_LIKE = "sounds_like"
TYPO = "typo"
MATCH_KINDS = (SOUNDS_LIKE, TYPO)  # in rank order, both after every exact and prefix hit


def eligible(word: str) -> bool:
    """Does this (folded) word get keys, and is a typed one looked up by its keys?"""
    return MIN_LETTERS <= len(word) <= MAX_LETTERS and word.isalpha()


def sound_keys(word: str) -> list[str]:
    if not (eligible(word) and word.isascii()):
        return []
    keys = [f"k{code}" for _, code in cologne_phonetics.encode(word) if code]
    keys += [f"m{code}" for code in doublemetaphone(word) if code]
    return list(dict.fromkeys(k for k in keys if len(k) <= MAX_KEY))


def typo_keys(word: str) -> list[str]:
    if not eligible(word):
        return []
    return list(dict.fromkeys([f"d{word}"] + [f"d{word[:i]}{word[i + 1:]}" for i in range(len(word))]))


def prefix_keys(word: str) -> list[str]:
    if not eligible(word):
        return []
    return [f"p{word[:n]}" for n in range(MIN_LETTERS, len(word))]


def word_keys(word: str) -> list[str]:
    """Every key of one word: what the table holds for it."""
    return sound_keys(word) + typo_keys(word) + prefix_keys(word)


def presence_key(word: str) -> str:
    """The key whose row (key, word) says the word's keys are stored."""
    return f"d{word}"


def name_words(name_texts: Iterable[str]) -> set[str]:
    """The words of search index texts (``name_index_text``) that get keys."""
    return {w for text in name_texts for w in text.split() if eligible(w)}


def key_rows(words: Iterable[str]) -> list[tuple[str, str]]:
    """(key, word) rows for these words."""
    return [(key, word) for word in sorted(set(words)) for key in word_keys(word)]


@dataclass(frozen=True)
class Alternatives:
    """For each typed word, the stored words it may have meant: by sound, by one typo."""

    sounds_like: Mapping[str, tuple[str, ...]]
    typo: Mapping[str, tuple[str, ...]]

    def of(self, kind: str) -> Mapping[str, tuple[str, ...]]:
        return self.sounds_like if kind == SOUNDS_LIKE else self.typo


def _own_keys(word: str, own: dict[str, tuple[list[str], list[str]]] | None) -> tuple[list[str], list[str]]:
    """A typed word's sound and typo keys, worked out once per search when ``own`` is given
    (the Kölner Phonetik and Double Metaphone codes cost tens of µs a word)."""
    if own is None:
        return sound_keys(word), typo_keys(word)
    if word not in own:
        own[word] = (sound_keys(word), typo_keys(word))
    return own[word]


def lookup_keys(typed: Iterable[str], own: dict | None = None) -> list[str]:
    """The keys to look up for the typed words: each word's sound and typo keys, and whether it
    begins a stored word. ``own``: a dict kept for :func:`alternatives` of the same search."""
    keys: list[str] = []
    for w in typed:
        if eligible(w):
            sounds, typos = _own_keys(w, own)
            keys += sounds + typos + [f"p{w}"]
    return list(dict.fromkeys(keys))


def alternatives(typed: Iterable[str], rows: Iterable[tuple[str, str]], own: dict | None = None) -> Alternatives:
    """Which stored words each typed word may stand for, from the (key, word) rows found by
    :func:`lookup_keys`. A sound-alike shares a phonetic key; a typo is one edit away (checked
    here: two words sharing a deletion key can be two edits apart). The typed word itself and
    words starting with it are not alternatives: the exact and prefix searches find them; a typed
    word that only begins stored words (and is none itself) has none."""
    from rapidfuzz.distance import OSA, JaroWinkler  # imported when a search looks for alternatives

    by_key: dict[str, set[str]] = {}
    for key, word in rows:
        by_key.setdefault(key, set()).add(word)
    sounds: dict[str, tuple[str, ...]] = {}
    typos: dict[str, tuple[str, ...]] = {}
    for w in dict.fromkeys(typed):
        if not eligible(w) or (f"p{w}" in by_key and w not in by_key.get(presence_key(w), ())):
            continue
        sound, typo = _own_keys(w, own)
        alike = {v for k in sound for v in by_key.get(k, ())}
        near = {v for k in typo for v in by_key.get(k, ()) if OSA.distance(w, v, score_cutoff=1) <= 1}
        alike = {v for v in alike if not v.startswith(w) and JaroWinkler.similarity(w, v) >= SOUND_SIMILARITY}
        near = {v for v in near if not v.startswith(w)} - alike
        if alike:
            sounds[w] = _closest(w, alike)
        if near:
            typos[w] = _closest(w, near)
    return Alternatives(sounds, typos)


def _closest(word: str, found: set[str]) -> tuple[str, ...]:
    from rapidfuzz.distance import OSA

    return tuple(sorted(found, key=lambda v: (OSA.distance(word, v), v))[:MAX_ALTERNATIVES])


def groups(name_words: tuple[str, ...], alternatives_of: Mapping[str, tuple[str, ...]]
           ) -> list[tuple[str, tuple[str, ...]]] | None:
    """Each typed word with the stored words it may stand for (every word must match, as typed
    or as one of them); None when no word has any (nothing more to find)."""
    if not any(alternatives_of.get(w) for w in name_words):
        return None
    return [(w, tuple(alternatives_of.get(w, ()))) for w in name_words]


def fts_query(name_words: tuple[str, ...], alternatives_of: Mapping[str, tuple[str, ...]]) -> str | None:
    """The names a search finds with at least one word replaced by a word it may stand for, for
    FTS5 (words are letters and digits only): '"anna"* AND ("schmidt" OR "schmitt")'; with two
    such words, each replaced in turn, the other as typed or replaced:
    '(("meyer") AND ("shmidt"* OR "schmidt")) OR (("meier"* OR "meyer") AND ("schmidt"))'.
    The names with every word as typed are left out: the prefix search before this one found them
    all (it runs when they were fewer than a page), and matching them again cost more than the rest
    ("baron j": the prefix of every name with a j again)."""
    found = groups(name_words, alternatives_of)
    if found is None:
        return None

    def alternatives(alts: tuple[str, ...]) -> str:
        return "(" + " OR ".join(f'"{v}"' for v in alts) + ")"

    def word(w: str, alts: tuple[str, ...]) -> str:
        return f'"{w}"*' if not alts else "(" + " OR ".join([f'"{w}"*'] + [f'"{v}"' for v in alts]) + ")"

    varied = [i for i, (_, alts) in enumerate(found) if alts]
    parts = [" AND ".join(alternatives(alts) if i == j else word(w, alts) for i, (w, alts) in enumerate(found))
             for j in varied]
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)
