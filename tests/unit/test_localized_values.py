"""Values inside messages and money typed in the reader's language: the country's name, amounts
written the locale's way."""

from __future__ import annotations

import pytest

from pos_customers.domain import i18n
from pos_customers.domain.address import AddressInput, clean_address
from pos_customers.domain.i18n import tr


@pytest.mark.parametrize(("lang", "name"), [("en", "Germany"), ("de", "Deutschland"), ("fr", "Allemagne"),
                                            ("nl", "Duitsland")])
def test_an_address_error_names_the_country_in_the_readers_language(lang, name):
    _, errors = clean_address(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code="1234", country="DE"))
    assert errors, "a German postal code has five digits"
    i18n.set_language(lang)
    said = tr(errors[0].message)
    assert name in said and (lang == "en" or "Germany" not in said), said
