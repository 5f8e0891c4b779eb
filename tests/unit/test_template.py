from pos_customers.domain.customer import CustomerDraft
from pos_customers.domain.enums import CustomerType, ReceiptOption
from pos_customers.domain.template import StoreTemplate, apply_template, financial_dimensions_for

T = StoreTemplate(customer_type=CustomerType.PERSON, group_code="RETAIL", receipt_option=ReceiptOption.EMAIL,
                  receipt_email="receipts@store.example", currency="EUR", language="de",
                  affiliations=("CLUB",), address_country="DE")


def test_template_fills_what_the_customer_did_not_say():
    d = apply_template(CustomerDraft(first_name="Anna"), T)
    assert (d.customer_type, d.group_code, d.receipt_option, d.currency, d.language, d.affiliations) == (
        CustomerType.PERSON, "RETAIL", ReceiptOption.EMAIL, "EUR", "de", ["CLUB"])


def test_receipt_email_copied_only_when_the_customer_gave_none():
    assert apply_template(CustomerDraft(), T).receipt_email == "receipts@store.example"
    assert apply_template(CustomerDraft(receipt_email="anna@x.de"), T).receipt_email == "anna@x.de"


def test_given_values_are_never_overwritten():
    d = apply_template(CustomerDraft(customer_type=CustomerType.ORGANIZATION, group_code="B2B",
                                     currency="CHF", language="fr", affiliations=[]), T)
    assert (d.customer_type, d.group_code, d.currency, d.language, d.affiliations) == (
        CustomerType.ORGANIZATION, "B2B", "CHF", "fr", [])


def test_financial_dimensions_come_from_the_group():
    dims = {"CostCenter": "100"}
    got = financial_dimensions_for(dims)
    assert got == dims and got is not dims
    assert financial_dimensions_for(None) == {}
