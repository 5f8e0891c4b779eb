"""The store's default-customer template and how it is applied (Dynamics 365 Commerce rules).

Copied onto every new customer: customer type, customer group, receipt option, receipt email,
currency, language and affiliations. The template also keeps the store's account options
(:mod:`.account_options`: the form's hidden and required fields). The receipt email is copied only when the customer gave
none. A template's email receipt (email, or both) is for customers who give an email address:
a customer without one gets a printed receipt (``receipt_for``). Financial dimensions are not the
template's: they come from the customer group.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .account_options import AccountOptions
from .customer import CustomerDraft
from .enums import CustomerType, ReceiptOption


@dataclass(frozen=True)
class StoreTemplate:
    customer_type: CustomerType = CustomerType.PERSON
    group_code: str | None = None
    receipt_option: ReceiptOption = ReceiptOption.PRINT
    receipt_email: str = ""
    currency: str = ""
    language: str = ""
    affiliations: tuple[str, ...] = ()
    address_country: str = ""
    # which fields of the new-customer form the store hides, leaves optional or requires
    account_options: AccountOptions = field(default_factory=AccountOptions)


def receipt_for(option: ReceiptOption | str, has_email: bool) -> ReceiptOption:
    """The receipt a template's ``option`` gives a customer: printed unless an email is given
    (an email receipt needs an address to go to)."""
    option = ReceiptOption(option)
    if option in (ReceiptOption.EMAIL, ReceiptOption.BOTH) and not has_email:
        return ReceiptOption.PRINT
    return option


def apply_template(draft: CustomerDraft, template: StoreTemplate) -> CustomerDraft:
    """Fill what the draft leaves unsaid (None) from the template; never overwrite a given value."""
    has_email = bool(any((e.address or "").strip() for e in draft.emails) or draft.receipt_email
                     or template.receipt_email)
    return replace(
        draft,
        customer_type=draft.customer_type or template.customer_type,
        group_code=draft.group_code if draft.group_code is not None else template.group_code,
        receipt_option=draft.receipt_option or receipt_for(template.receipt_option, has_email),
        receipt_email=draft.receipt_email if draft.receipt_email else (template.receipt_email or None),
        currency=draft.currency if draft.currency else template.currency,
        language=draft.language if draft.language else template.language,
        affiliations=(list(draft.affiliations) if draft.affiliations is not None
                      else list(template.affiliations)),
    )


def financial_dimensions_for(group_dimensions: dict[str, str] | None) -> dict[str, str]:
    """The financial dimensions a new customer gets: its group's, never the template's own."""
    return dict(group_dimensions or {})
