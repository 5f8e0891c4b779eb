import sqlite3

from pos_customers.domain.address import AddressInput
from pos_customers.domain.customer import AddressDraft, CustomerDraft, EmailInput, PhoneInput


def person(first="Anna", last="Müller", email=None, phone=None, postal=None, birth=None, **kw) -> CustomerDraft:
    return CustomerDraft(
        first_name=first, last_name=last, birth_date=birth,
        emails=[EmailInput(email)] if email else [],
        phones=[PhoneInput(phone)] if phone else [],
        addresses=[AddressDraft(AddressInput(line1="Hauptstr. 1", city="Berlin", postal_code=postal,
                                             country="DE"))] if postal else [],
        **kw)


def organization(name="Acme GmbH", postal=None, **kw) -> CustomerDraft:
    return CustomerDraft(
        customer_type="organization", organization_name=name,
        addresses=[AddressDraft(AddressInput(line1="Industriestr. 5", city="Berlin", postal_code=postal,
                                             country="DE"), purpose="BUSINESS")] if postal else [],
        **kw)


def db_rows(svc, sql: str, *args) -> list[tuple]:
    """Rows of the till's file, read on a connection of their own (what another reader sees)."""
    conn = sqlite3.connect(svc.db.path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
