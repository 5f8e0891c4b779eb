"""Labels per language of customer groups, affiliations and custom attributes (and their choices):
stored and audited like address purposes' labels, shown in a language with the default as fallback."""

import pytest

from pos_customers.domain.errors import ValidationFailed
from pos_customers.services import backoffice as bo
from pos_customers.services.context import NotFound, PermissionDenied
from pos_customers.services.records import form_choices
from pos_customers.services.store import attribute_defs
from tests.services.test_backoffice import manager  # noqa: F401  (fixture)
from tests.services.test_customers import rows


def test_a_label_in_a_language_and_the_default_otherwise(svc, manager):  # noqa: F811
    bo.label_group(svc, manager, "loyal", "de", "Treueclub")  # the code in any case
    bo.label_affiliation(svc, manager, "CLUB", "fr", "Club clients")
    bo.label_attribute(svc, manager, "CONTACT_TIME", "de", "Vormittags", choice="Morning")
    de = form_choices(svc, manager, language="de-CH")
    assert dict((c.code, c.label) for c in de.groups)["LOYAL"] == "Treueclub"
    assert dict((c.code, c.label) for c in de.affiliations)["CLUB"] == "Kundenclub"  # shipped in German
    contact = next(d for d in de.attributes if d.code == "CONTACT_TIME")
    assert (contact.label, contact.choices) == ("Bevorzugte Kontaktzeit", ("Morning", "Afternoon", "Evening"))
    assert [contact.choice_label(c) for c in contact.choices] == ["Vormittags", "Nachmittags", "Abends"]
    fr = form_choices(svc, manager, language="fr")
    assert dict((c.code, c.label) for c in fr.affiliations)["CLUB"] == "Club clients"
    assert dict((c.code, c.label) for c in fr.groups)["LOYAL"] == "Membres du club fidélité"  # shipped
    es = form_choices(svc, manager, language="es")  # a language nothing is labelled in: the default
    assert dict((c.code, c.label) for c in es.groups)["LOYAL"] == "Loyalty club members"
    audit = rows(svc, "SELECT entity, entity_id, action, changes FROM audit_event WHERE action = 'label' ORDER BY id")
    assert [r[:3] for r in audit] == [("customer_group", "LOYAL", "label"), ("affiliation", "CLUB", "label"),
                                      ("attribute_definition", "CONTACT_TIME", "label")]
    assert "choice.Morning.de" in audit[2][3]


def test_an_edit_keeps_the_labels_and_forgets_those_of_removed_choices(svc, manager):  # noqa: F811
    bo.label_group(svc, manager, "LOYAL", "de", "Treueclub")
    bo.save_group(svc, manager, "LOYAL", "Loyalty club")
    bo.label_attribute(svc, manager, "CONTACT_TIME", "de", "Vormittags", choice="Morning")
    bo.label_attribute(svc, manager, "CONTACT_TIME", "de", "Abends", choice="Evening")
    bo.save_attribute(svc, manager, "CONTACT_TIME", "Preferred contact time", "choice",
                      choices=["Morning", "Afternoon"])
    with svc.db.read() as s:
        (contact,) = [d for d in attribute_defs(s, "de") if d.code == "CONTACT_TIME"]
    assert contact.choice_labels == ("Vormittags", "Nachmittags")  # Afternoon's German label is shipped
    assert rows(svc, "SELECT choice_labels FROM attribute_definition WHERE code = 'CONTACT_TIME'") == [
        ('{"Morning": {"de": "Vormittags", "fr": "Matin", "nl": "Ochtend"}, '
         '"Afternoon": {"de": "Nachmittags", "fr": "Apr\\u00e8s-midi", "nl": "Middag"}}',)]  # Evening's are gone
    assert dict((c.code, c.label) for c in form_choices(svc, manager, language="de").groups)["LOYAL"] == "Treueclub"


def test_refusals(svc, manager, associate):  # noqa: F811
    with pytest.raises(ValidationFailed, match="Language is required"):
        bo.label_group(svc, manager, "LOYAL", " ", "Treueclub")
    with pytest.raises(ValidationFailed, match="no choice"):
        bo.label_attribute(svc, manager, "CONTACT_TIME", "de", "Nachts", choice="Night")
    with pytest.raises(NotFound):
        bo.label_affiliation(svc, manager, "NOPE", "de", "Nein")
    with pytest.raises(ValidationFailed):
        bo.label_group(svc, manager, "LOYAL", "de", "  ")
    with pytest.raises(PermissionDenied):
        bo.label_group(svc, associate, "LOYAL", "de", "Treueclub")
    assert rows(svc, "SELECT count(*) FROM audit_event WHERE action = 'label'") == [(0,)]
