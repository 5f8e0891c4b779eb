"""Which language a person reads: one place that decides, for the app and for the command line.

The app, at sign-in: ``POS_CUSTOMERS_LANG`` (support over SSH), then ``[display] language`` in
config.toml, then the associate's own choice on this till (F12 or "Language…" in the command
palette, kept in ``associate_preference``), then the store's language, then English.

The command line: ``POS_CUSTOMERS_LANG``, then the locale of the shell (``LC_ALL``,
``LC_MESSAGES``, ``LANG``, in POSIX order), then the store's language, then English.

Each answer is a language a catalog serves (``de_AT`` gives ``de``); nothing here translates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from typing import TYPE_CHECKING

from ..domain import i18n
from ..domain.errors import FieldProblem
from ..domain.i18n import Msg
from .auth import Actor, NotFound, NotInitialized

if TYPE_CHECKING:  # light to import: the start of the app and of the command line read cli_language
    from .context import Services

ENV = "POS_CUSTOMERS_LANG"
LOCALE_ENV = ("LC_ALL", "LC_MESSAGES", "LANG")


def preferred_language(svc: Services, associate_number: str) -> str:
    """The language the associate chose on this till, or ``""`` (read on a plain snapshot: it is
    on the sign-in path)."""
    with svc.db.snapshot() as conn:
        row = conn.execute("SELECT language FROM associate_preference WHERE associate_number = ?",
                           (associate_number,)).fetchone()
    return row[0] if row else ""


def set_preferred_language(svc: Services, actor: Actor, code: str) -> str:
    """Remember ``code`` as the associate's own language on this till (their next sign-in reads
    it). A personal setting: no audit row, nothing sent to headquarters. Returns the language kept."""
    lang = i18n.supported(code)
    if not lang or lang not in i18n.available():
        raise FieldProblem(Msg("No translation for the language {code}", code=code))
    with svc.db.raw_write() as conn:
        conn.execute("INSERT INTO associate_preference (associate_number, language, updated_at) VALUES (?, ?, ?)"
                     " ON CONFLICT (associate_number) DO UPDATE SET language = excluded.language,"
                     " updated_at = excluded.updated_at",
                     (actor.associate_number, lang, svc.now().strftime("%Y-%m-%d %H:%M:%S.%f")))
    return lang


def store_language(svc: Services) -> str:
    """The language of the till's store, or ``""`` when there is no store yet."""
    from .store_info import store_info

    try:
        return store_info(svc).language
    except (NotFound, NotInitialized):
        return ""


def override(environ: Mapping[str, str] | None = None) -> str:
    """The language ``POS_CUSTOMERS_LANG`` names (a catalog serves it), else ``""``. Set, it wins
    everywhere: the start (launch.py) makes it the process's language and the app keeps that one
    (as it keeps one a test chose) instead of the associate's or the store's."""
    env = os.environ if environ is None else environ
    return i18n.supported(env.get(ENV))


def language_for(svc: Services, actor: Actor | None, *, configured: str = "",
                 environ: Mapping[str, str] | None = None) -> str:
    """The app's language for ``actor`` (None: nobody signed in yet). ``configured``: config.toml's
    ``[display] language``."""
    env = os.environ if environ is None else environ
    own = preferred_language(svc, actor.associate_number) if actor is not None else ""
    return i18n.choose(env.get(ENV), configured, own, store_language(svc))


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment names for the command line (a catalog serves it), else ``""``
    (then the store's decides)."""
    env = os.environ if environ is None else environ
    for name in (ENV, *LOCALE_ENV):
        if found := i18n.supported(env.get(name)):
            return found
    return ""


def cli_language(store_lang: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The command line's language: ``POS_CUSTOMERS_LANG``, the shell's locale, the store's."""
    env = os.environ if environ is None else environ
    return i18n.choose(env.get(ENV), *(env.get(name) for name in LOCALE_ENV), store_lang)
