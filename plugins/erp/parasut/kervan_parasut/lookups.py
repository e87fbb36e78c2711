"""Finding what Kervan posted before: Paraşüt takes no idempotency key, so every write looks first.

Paraşüt's list filters are the only lookup there is (sales invoices: ``invoice_series``,
``invoice_id``, ``contact_id``, ``item_type``, ``issue_date``, ``payment_status``; contacts:
``name``, ``email``, ``tax_number``, ``tax_office``, ``city``, ``account_type``) [the filter
types of yigitkonur/parasut-node-sdk-mcp ``src/resources/salesInvoices.ts`` and
``contacts.ts``; remidosol/parasut-nest's sales-invoice service lists the same invoice filters].
No filter reads ``description``, so each posting carries a key in its description
(``kervan:invoice:<uuid>``, ``kervan:return:<claim>``, ``kervan:voucher:<number>``,
``kervan:payment:<reference>``), and a lookup narrows by a filter and then matches the key.
"""

from __future__ import annotations

from typing import Any

from kervan.domain import Invoice, Party

from .client import ParasutClient
from .mapping import idempotency_key, split_number

Resource = dict[str, Any]


def attributes(resource: Resource) -> dict[str, Any]:
    found = resource.get("attributes")
    return found if isinstance(found, dict) else {}


def carries(resource: Resource, key: str) -> bool:
    """Whether the resource's description (or a payment's notes) holds ``key`` as a word."""
    attrs = attributes(resource)
    text = f"{attrs.get('description') or ''} {attrs.get('notes') or ''}"
    return key in text.split()


async def first_match(
    client: ParasutClient, path: str, params: dict[str, Any], key: str
) -> Resource | None:
    async for resource, _ in client.pages(path, params):
        if carries(resource, key):
            return resource
    return None


async def find_invoice(client: ParasutClient, invoice: Invoice) -> Resource | None:
    """The sales invoice posted for ``invoice`` (cancelled ones too), by series and sequence."""
    if invoice.number is None:
        return None
    series, sequence = split_number(invoice.number)
    params = {"filter[invoice_series]": series, "filter[invoice_id]": sequence}
    return await first_match(
        client, "sales_invoices", params, idempotency_key("invoice", invoice.uuid)
    )


async def find_refund(client: ParasutClient, contact_id: str, key: str) -> Resource | None:
    """A refund (a return or an expense voucher) on ``contact_id`` carrying ``key``."""
    params = {"filter[contact_id]": contact_id, "filter[item_type]": "refund"}
    return await first_match(client, "sales_invoices", params, key)


async def invoice_with_payments(
    client: ParasutClient, invoice_id: str
) -> tuple[Resource, list[Resource]]:
    """The sales invoice and its payments (``include=payments``)."""
    document = await client.call(
        "GET", f"sales_invoices/{invoice_id}", params={"include": "payments"}
    )
    payments = [r for r in document.get("included") or [] if r.get("type") == "payments"]
    return document.get("data") or {}, payments


async def find_contact(client: ParasutClient, party: Party) -> Resource | None:
    """A customer card for ``party``: by tax number, or for a placeholder TCKN/VKN (which
    many buyers share) by e-mail, else by name and that placeholder."""
    if not party.is_placeholder:
        candidates = [("tax_number", party.tax_id)]
    elif party.email:
        candidates = [("email", party.email)]
    else:
        candidates = [("name", party.display_name)]
    for field, value in candidates:
        params = {f"filter[{field}]": value, "filter[account_type]": "customer"}
        async for resource, _ in client.pages("contacts", params):
            attrs = attributes(resource)
            if str(attrs.get(field) or "").casefold() != value.casefold():
                continue  # a filter may match loosely (a name filter matches parts)
            if party.is_placeholder and attrs.get("tax_number") not in (None, "", party.tax_id):
                continue
            return resource
    return None


async def find_named_contact(client: ParasutClient, name: str) -> Resource | None:
    """The customer card named exactly ``name`` (the marketplace's card)."""
    params = {"filter[name]": name, "filter[account_type]": "customer"}
    async for resource, _ in client.pages("contacts", params):
        if str(attributes(resource).get("name") or "").casefold() == name.casefold():
            return resource
    return None
