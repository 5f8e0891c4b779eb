"""The shipped reference data (the demo's groups, affiliations, attributes) reads in the store's
language: a German store shows "Privatkunden", not "Retail customers"."""

from __future__ import annotations

import pytest

from pos_customers.services.customers import shown_names


@pytest.mark.parametrize(("lang", "group", "club", "shoe", "morning"), [
    ("de", "Privatkunden", "Kundenclub", "Schuhgröße (EU)", "Vormittags"),
    ("fr", "Clients particuliers", "Club clients", "Pointure (EU)", "Matin"),
    ("nl", "Particuliere klanten", "Klantenclub", "Schoenmaat (EU)", "Ochtend"),
    ("en", "Retail customers", "Customer club", "Shoe size (EU)", "Morning")])
def test_the_shipped_labels_are_in_each_language(svc, admin, lang, group, club, shoe, morning):
    names = shown_names(svc, admin, lang)
    assert names.groups["RETAIL"] == group and names.affiliations["CLUB"] == club
    assert names.attributes["SHOE_SIZE"].label == shoe
    assert names.attributes["CONTACT_TIME"].choice_labels[0] == morning
