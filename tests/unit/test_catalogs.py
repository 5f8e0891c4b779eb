"""The catalogs: the template is what the code says today, and de, fr and nl translate every message
of it (not fuzzy, not empty) with the same placeholders. A translator runs the README's two Babel
commands ("Translating") when this fails after a change of text."""

from __future__ import annotations

import pytest

from pos_customers.domain import i18n
from tests.i18n_pseudo import TEMPLATE, extract, pseudo, read_catalog

LANGUAGES = ("de", "fr", "nl")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    return extract(tmp_path_factory.mktemp("pot") / "extracted.pot")


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def _texts(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def test_the_template_is_up_to_date_with_the_code(extracted):
    kept = _ids(read_catalog(TEMPLATE))
    code = _ids(extracted)
    assert sorted(map(str, code - kept)) == [], "in the code, not in the template: extract again (README)"
    assert sorted(map(str, kept - code)) == [], "in the template, gone from the code: extract again (README)"


def test_every_message_uses_named_placeholders(extracted):
    positional = [m.id for m in extracted if m.id and any(
        name.isdigit() or name == "" for text in _texts(m.id) for name in _fields(text))]
    assert positional == []


def _fields(text: str) -> list[str]:
    import string

    try:
        return [name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["<unbalanced braces>"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(extracted, lang):
    catalog = read_catalog(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", locale=lang)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None:
            problems.append(f"missing: {message.id!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
            continue
        strings = _texts(found.string)
        if not strings or any(not s for s in strings):
            problems.append(f"empty: {message.id!r}")
            continue
        ids = _texts(message.id)
        for form, text in enumerate(strings):
            # a plural's first form may leave out the number ("One customer"); the others say it
            wanted = i18n.placeholders(ids[min(form, len(ids) - 1)])
            found = i18n.placeholders(text)
            if found != wanted and not (form == 0 and len(ids) > 1
                                        and found <= i18n.placeholders(ids[0]) | i18n.placeholders(ids[1])):
                problems.append(f"placeholders {sorted(found)} instead of {sorted(wanted)}: "
                                f"{message.id!r} -> {text!r}")
    assert problems == [], f"{len(problems)} problems in {lang}, the first: " + "\n".join(problems[:20])


def test_the_pseudo_locale_keeps_placeholders_and_is_longer():
    text = "Saved {ref} to headquarters"
    made = pseudo(text)
    assert made.startswith("⟦") and made.endswith("⟧")
    assert i18n.placeholders(made) == {"ref"}
    assert len(made) - len("{ref}") >= (len(text) - len("{ref}")) * 1.4 - 1  # the text, not its fields
    assert "Saved" not in made and "headquarters" not in made
    assert made.format(ref="0101-000042").count("0101-000042") == 1


def test_no_message_is_marked_inside_an_f_string():
    """pybabel reads an f-string as one string token: a ``_("...")`` inside its braces is never
    extracted, and its text is never translated ("no phone" on a German Stores tab)."""
    import io
    import re
    import tokenize
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "pos_customers"
    marked = re.compile(r"(?<![\w.])(_|ngettext|N_|tr)\(\s*['\"]")
    found = []
    for path in root.rglob("*.py"):
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING and tok.string[:2].lower() in ('f"', "f'", 'rf', 'fr') \
                    and marked.search(tok.string):
                found.append(f"{path.relative_to(root)}:{tok.start[0]}")
    assert not found, found
