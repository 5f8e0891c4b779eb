import pytest

from pos_customers.domain.password import PasswordPolicy, password_problems

POLICY = PasswordPolicy()


@pytest.mark.parametrize("password", ["Kx7#mP2!qRs", "Grün-Tee 2026!", "ÄpfelSaft#2026"])
def test_good_passwords_pass(password):
    assert password_problems(POLICY, password, email="anna.mueller@gmx.de", names=("Anna", "Müller")) == []


@pytest.mark.parametrize("password, problem", [
    ("Sh0rt!", "at least 10"),
    ("alllowercase1!", "upper-case"),
    ("ALLUPPERCASE1!", "lower-case"),
    ("NoDigitsHere!!", "a digit"),
    ("NoSpecial12345", "special"),
    ("Mueller#2026xx", "name or email"),     # the name, folded: Müller -> muller, mueller
    ("Xanna.mueller1!", "name or email"),    # the email's name part
    ("Ok#Pass\x00word1", "control"),
])
def test_each_rule_is_named(password, problem):
    got = password_problems(POLICY, password, email="anna.mueller@gmx.de", names=("Anna", "Mueller"))
    assert any(problem in p for p in got), got


def test_the_policy_comes_from_the_store_settings():
    p = PasswordPolicy.from_settings({"password_min_length": "14", "password_special": "off"})
    assert p.min_length == 14 and not p.special
    assert "at least 14 characters" in p.describe() and "special" not in p.describe()
    assert PasswordPolicy.from_settings({"password_min_length": "3"}).min_length == 8  # never weaker than 8
