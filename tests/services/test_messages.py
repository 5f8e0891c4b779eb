"""Refusals and validation messages of the services are values (a Msg: English template and named
parameters): ``str`` is the English text, and the edge makes them into the reader's language."""

from pathlib import Path

import pytest

from pos_customers.domain import i18n
from pos_customers.domain.errors import ValidationFailed
from pos_customers.domain.i18n import Msg, tr
from pos_customers.services import backoffice as bo
from pos_customers.services.auth import Permission, PermissionDenied
from pos_customers.services.customers import create_customer, find_duplicates
from pos_customers.services.health import failure_line
from pos_customers.storage.errors import Failure, StorageError
from tests.helpers import person
from tests.helpers import TestCatalog as _Catalog


@pytest.fixture
def german():
    i18n.install("de", _Catalog({
        "{who} may not {action}: ask {whom}": "{who} darf nicht {action}: fragen Sie {whom}",
        "{name} ({role})": "{name} ({role})",
        "associate": "Mitarbeiter",
        "anonymize customers": "Kunden anonymisieren",
        "{first} or {second}": "{first} oder {second}",
        "a manager": "die Filialleitung",
        "an administrator": "einen Administrator",
        "Address purpose {code} already exists": "Adresszweck {code} existiert bereits",
        "same email {email}": "gleiche E-Mail {email}",
        "the database file {path} is damaged: run `pos-customers doctor`, then `pos-customers recover`":
            "die Datenbankdatei {path} ist beschädigt: `pos-customers doctor`, dann `pos-customers recover`",
    }))
    i18n.set_language("de")
    yield
    i18n.forget_catalogs()


def test_a_refused_permission_carries_its_parameters_and_is_german_at_the_edge(associate, german):
    with pytest.raises(PermissionDenied) as exc:
        associate.require(Permission.ANONYMIZE)
    msg = exc.value.args[0]
    assert isinstance(msg, Msg) and msg.text == "{who} may not {action}: ask {whom}"
    assert set(msg.params) == {"who", "action", "whom"}
    assert str(exc.value) == "Jonas (associate) may not anonymize customers: ask a manager or an administrator"
    assert tr(exc.value) == ("Jonas (Mitarbeiter) darf nicht Kunden anonymisieren: "
                             "fragen Sie die Filialleitung oder einen Administrator")


def test_a_field_error_of_a_service_is_a_msg_with_its_code_as_a_parameter(svc, admin, german):
    bo.add_purpose(svc, admin, "SUMMER", "Summer house")
    with pytest.raises(ValidationFailed) as exc:
        bo.add_purpose(svc, admin, "summer", "Again")
    (error,) = exc.value.errors
    assert error.field == "code" and isinstance(error.message, Msg)
    assert error.message.params == {"code": "SUMMER"}
    assert error.message == "Address purpose SUMMER already exists"  # compares as its English text
    assert "code: Address purpose SUMMER already exists" in str(exc.value)
    assert tr(error.message) == "Adresszweck SUMMER existiert bereits"


def test_duplicate_reasons_are_messages_said_in_one_line(svc, associate, german):
    create_customer(svc, associate, person("Hans", "Meier", email="hans@meier.de"))
    (hit,) = find_duplicates(svc, associate, person("X", "Y", email="HANS@meier.de"))
    assert str(hit.why) == "same email hans@meier.de"
    assert tr(hit.why) == "gleiche E-Mail hans@meier.de"


def test_a_file_failure_line_is_made_in_the_readers_language(tmp_path: Path, german):
    line = failure_line(StorageError(Failure.DAMAGED, tmp_path / "store.db"))
    assert str(line).startswith("the database file ") and str(tmp_path) in str(line)
    assert tr(line).startswith("die Datenbankdatei ") and str(tmp_path) in tr(line)
