"""Labels per language of groups, affiliations and attributes travel like address purposes' labels:
a store that sets one sends it through headquarters, and every other store shows it."""

from __future__ import annotations

from pos_customers.services import backoffice as bo
from pos_customers.services import sync
from pos_customers.services.records import form_choices
from tests.sync.conftest import terminal


def test_labels_set_in_one_store_reach_another(tmp_path, hq_server, admin):
    ber = terminal(tmp_path, hq_server, "BER01", country="DE", currency="EUR", language="de")
    ham = terminal(tmp_path, hq_server, "HAM01", country="DE", currency="EUR", language="de")
    bo.rename_purpose(ber, admin, "HOME", "Daheim", language="de")
    bo.label_group(ber, admin, "LOYAL", "de", "Treueclub")
    bo.label_affiliation(ber, admin, "CLUB", "de", "Kundenclub")
    bo.label_attribute(ber, admin, "CONTACT_TIME", "de", "Kontaktzeit")
    bo.label_attribute(ber, admin, "CONTACT_TIME", "de", "Vormittags", choice="Morning")
    sync.sync_now(ber, admin)
    sync.sync_now(ham, admin)
    german = form_choices(ham, admin, language="de-AT")  # de-AT falls back to de
    assert german.all_purposes["HOME"] == "Daheim"
    assert dict((c.code, c.label) for c in german.groups)["LOYAL"] == "Treueclub"
    assert dict((c.code, c.label) for c in german.affiliations)["CLUB"] == "Kundenclub"
    contact = next(d for d in german.attributes_all if d.code == "CONTACT_TIME")
    assert contact.label == "Kontaktzeit" and contact.choice_label("Morning") == "Vormittags"
    assert contact.choice_label("Evening") == "Abends"  # shipped
    english = form_choices(ham, admin, language="en")
    assert dict((c.code, c.label) for c in english.groups)["LOYAL"] == "Loyalty club members"
    assert next(d for d in english.attributes_all if d.code == "CONTACT_TIME").choice_label("Morning") == "Morning"
