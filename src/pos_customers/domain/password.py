"""Customer account passwords set by hand at the till: the store's policy.

Default (configurable per store): at least 10 characters with an upper-case letter, a lower-case
letter, a digit and a special character, and not containing the email's name part or the
customer's name. Only an argon2id hash of a password ever leaves the terminal's memory.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .i18n import Msg

#: the store's setting (on / off, off by default): a password typed at the till is temporary, the
#: customer must change it at their next online sign-in
MANUAL_MUST_CHANGE = "manual_password_must_change"


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    max_length: int = 128
    upper: bool = True
    lower: bool = True
    digit: bool = True
    special: bool = True
    not_personal: bool = True  # may not contain the email's name part, the first or the last name

    @classmethod
    def from_settings(cls, values: dict[str, str]) -> PasswordPolicy:
        def flag(name: str, default: bool) -> bool:
            raw = values.get(f"password_{name}")
            return default if raw is None else raw.strip().lower() in ("1", "true", "yes", "on")

        try:
            min_length = int(values.get("password_min_length", cls.min_length))
        except ValueError:
            min_length = cls.min_length
        return cls(min_length=max(8, min(min_length, 64)), upper=flag("upper", True), lower=flag("lower", True),
                   digit=flag("digit", True), special=flag("special", True),
                   not_personal=flag("not_personal", True))

    def describe(self) -> str:
        needs = [n for n, on in (("an upper-case letter", self.upper), ("a lower-case letter", self.lower),
                                 ("a digit", self.digit), ("a special character", self.special)) if on]
        text = f"at least {self.min_length} characters"
        if needs:
            text += " with " + ", ".join(needs[:-1]) + (" and " if len(needs) > 1 else "") + needs[-1]
        return text + (", not containing the customer's name or email" if self.not_personal else "")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def password_problems(policy: PasswordPolicy, password: str, *, email: str = "",
                      names: tuple[str, ...] = ()) -> list[Msg]:
    """What is wrong with ``password`` under ``policy`` ([] when it is fine): what it needs, each
    a few words that :func:`password_needs` puts in a sentence."""
    problems = []
    if len(password) < policy.min_length:
        problems.append(Msg("at least {min} characters (this has {length})", min=policy.min_length,
                            length=len(password)))
    if len(password) > policy.max_length:
        problems.append(Msg("at most {max} characters", max=policy.max_length))
    if any(unicodedata.category(c).startswith("C") for c in password):
        problems.append(Msg("no control characters"))
    if policy.upper and not any(c.isupper() for c in password):
        problems.append(Msg("an upper-case letter"))
    if policy.lower and not any(c.islower() for c in password):
        problems.append(Msg("a lower-case letter"))
    if policy.digit and not any(c.isdigit() for c in password):
        problems.append(Msg("a digit"))
    if policy.special and all(c.isalnum() for c in password):
        problems.append(Msg("a special character such as ! ? # % or -"))
    if policy.not_personal:
        folded = _fold(password)
        local = email.split("@", 1)[0] if email else ""
        for part in (local, *names):
            part = _fold(part or "")
            if len(part) >= 3 and part in folded:
                problems.append(Msg("not the customer's name or email"))
                break
    return problems


def password_needs(problems: list[Msg], *, new: bool = False) -> Msg:
    """The sentence saying what a password needs: "Password needs a digit, a special character ..."."""
    if new:
        return Msg("The new password needs {needs}", needs=listed(problems))
    return Msg("Password needs {needs}", needs=listed(problems))


def listed(parts: list[Msg]) -> Msg:
    """``parts`` one after the other, separated by commas, each translated where shown."""
    names = [f"p{i}" for i in range(len(parts))]
    template = ", ".join("{" + name + "}" for name in names)  # not a msgid: the catalogs have no entry
    return Msg(template, **dict(zip(names, parts)))
