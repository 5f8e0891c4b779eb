"""The store's default-customer template and how it is applied (Dynamics 365 Commerce rules).

Copied onto every new customer: customer type, customer group, receipt option, receipt email,
currency, language and affiliations. The receipt email is copied only when the customer gave
none. Financial dimensions are not the template's: they come from the customer group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def apply_template(draft: CustomerDraft, template: StoreTemplate) -> CustomerDraft:
    """Fill what the draft leaves unsaid (None) from the template; never overwrite a given value."""
    return replace(
        draft,
        customer_type=draft.customer_type or template.customer_type,
        group_code=draft.group_code if draft.group_code is not None else template.group_code,
        receipt_option=draft.receipt_option or template.receipt_option,
        receipt_email=draft.receipt_email if draft.receipt_email else (template.receipt_email or None),
        currency=draft.currency if draft.currency else template.currency,
        language=draft.language if draft.language else template.language,
        affiliations=(list(draft.affiliations) if draft.affiliations is not None
                      else list(template.affiliations)),
    )


def financial_dimensions_for(group_dimensions: dict[str, str] | None) -> dict[str, str]:
    """The financial dimensions a new customer gets: its group's, never the template's own."""
    return dict(group_dimensions or {})
