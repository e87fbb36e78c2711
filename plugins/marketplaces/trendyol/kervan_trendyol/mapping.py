"""Trendyol payloads ⇄ Kervan's domain model. Pure functions, no I/O.

Field names: Trendyol renamed most package and line fields on 08.12.2025 (``id`` →
``shipmentPackageId``, line ``id`` → ``lineId``, ``merchantSku`` → ``stockCode``,
``amount`` → ``lineGrossAmount``, ``discount`` → ``lineSellerDiscount``, ``price`` →
``lineUnitPrice``, ``vatBaseAmount`` → ``vatRate`` ...). Every reader here takes the new name
first and falls back to the old one, so archived payloads, webhooks from older pipelines and
the sandbox (which emits the new names) all map the same way.

Money semantics (Trendyol's "Discount Representations in the Get Shipment Packages Service"):
``lineGrossAmount`` is the VAT-inclusive *unit* price before discounts, ``lineSellerDiscount``
and ``lineTyDiscount`` are the *line* totals of seller- and Trendyol-funded discounts, and
``lineUnitPrice`` is the net unit price after both; ``discountDetails`` has one entry a unit
(``lineItemSellerDiscount``, ``lineItemTyDiscount``), so its sums are the line's discounts
whatever a line-level field is taken to mean. Kervan's ``OrderLine.unit_price`` is the gross
unit price and ``discount`` what the invoice deducts: the seller-funded discount, plus the
Trendyol-funded one only on a package whose own ``packageTyDiscount`` is set (Trendyol fills it
for corporate, ``commercial=true``, packages alone; there the buyer's invoice must state the net
price). ``Order.source_payable`` is ``packageTotalPrice``: the engine holds a package whose
lines do not add up to it (docs/ubl-tr.md, "Reconciliation with the marketplace").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kervan import RecordKind, RecordProblem
from kervan.domain import (
    FOREIGN_PLACEHOLDER,
    PERSON_PLACEHOLDER,
    Address,
    Claim,
    ClaimLine,
    ClaimLineStatus,
    ClaimReason,
    Listing,
    Order,
    OrderLine,
    Party,
    PartyKind,
    TrackingStatus,
    check_tax_id,
)
from kervan.errors import InvalidResponseError
from kervan_sdk import map_record

SOURCE = "trendyol"
#: Trendyol's ``orderDate`` is an epoch that reads as Istanbul wall time (GMT+3, no DST since
#: 2016); ``lastModifiedDate`` and ``claimDate`` are plain UTC epochs.
ISTANBUL = timedelta(hours=3)
CANCELLED_STATUSES = frozenset({"Cancelled", "UnSupplied"})
#: what a package status says of the parcel's journey (read when Trendyol's contracted
#: carrier moves it; the seller's own carrier is followed at the carrier)
CARRIER_STATUS: dict[str, TrackingStatus] = {
    "Shipped": TrackingStatus.IN_TRANSIT,
    "AtCollectionPoint": TrackingStatus.OUT_FOR_DELIVERY,
    "Delivered": TrackingStatus.DELIVERED,
    "UnDelivered": TrackingStatus.EXCEPTION,
    "Returned": TrackingStatus.RETURNED,
}
KURUS = Decimal("0.01")

CLAIM_STATUS = {
    "Created": ClaimLineStatus.CREATED,
    "WaitingInAction": ClaimLineStatus.WAITING,
    "WaitingFraudCheck": ClaimLineStatus.IN_ANALYSIS,
    "Accepted": ClaimLineStatus.ACCEPTED,
    "Rejected": ClaimLineStatus.REJECTED,
    "Cancelled": ClaimLineStatus.CANCELLED,
    "Unresolved": ClaimLineStatus.DISPUTED,
    "InAnalysis": ClaimLineStatus.IN_ANALYSIS,
}


def pick(data: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """The first of ``names`` present and not null in ``data`` (new name first, then old)."""
    for name in names:
        value = data.get(name)
        if value is not None:
            return value
    return default


def money(value: Any) -> Decimal:
    """A JSON number as kuruş-precision ``Decimal`` (floats via ``str`` to drop binary noise)."""
    if value is None or value == "":
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(KURUS, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {type(value).__name__}") from exc


def from_epoch_ms(value: Any, *, istanbul_wall: bool = False) -> datetime | None:
    if value in (None, "", 0):
        return None
    at = datetime.fromtimestamp(int(value) / 1000, UTC)
    return at - ISTANBUL if istanbul_wall else at


def to_epoch_ms(at: datetime, *, istanbul_wall: bool = False) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if istanbul_wall:
        at = at + ISTANBUL
    return int(at.timestamp() * 1000)


class ShapeError(ValueError):
    """A part of a record is missing or has the wrong type; the message names the part only."""


#: what a mapping of one record may raise for a record that breaks Trendyol's contract
_MAPPING_FAULTS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeError(f"{where}: not an object")
    return value


def _required(data: Mapping[str, Any], *names: str) -> Any:
    value = pick(data, *names)
    if value in (None, "") or isinstance(value, (Mapping, list)):
        raise ShapeError(f"{names[0]}: missing")
    return value


def raw_id(data: Any, *names: str) -> str | None:
    """A raw record's id, or None when it has no readable one (never raises)."""
    if not isinstance(data, Mapping):
        return None
    value = pick(data, *names)
    if value in (None, "") or isinstance(value, (Mapping, list)):
        return None
    return str(value)


def package_id_of(pkg: Mapping[str, Any]) -> str:
    value = raw_id(pkg, "shipmentPackageId", "id")
    if value is None:
        raise InvalidResponseError("Trendyol package without shipmentPackageId", remote=SOURCE)
    return value


def _cannot_map(what: str, exc: Exception, **detail: str) -> InvalidResponseError:
    # pydantic's ValidationError is a ValueError; its text may quote buyer data, so keep only
    # the field locations (and our own ShapeError's message, which names parts only)
    return InvalidResponseError(
        f"Trendyol {what} cannot be mapped ({_error_locations(exc)})", remote=SOURCE, detail=detail
    )


def _error_locations(exc: Exception) -> str:
    if isinstance(exc, ShapeError):
        return str(exc)
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(
                ".".join(str(p) for p in e["loc"]) + f": {e['msg']}"
                for e in errors(include_input=False, include_url=False)
            )
        except TypeError:  # not a pydantic error
            pass
    return type(exc).__name__


# ---------------------------------------------------------------------------------------------
# packages → orders


def package_to_order(pkg: Mapping[str, Any], *, tenant_id: str, connection_id: str) -> Order:
    """One Trendyol shipment package as a Kervan :class:`Order`.

    Raises :class:`InvalidResponseError` (naming the package, never buyer data) when the
    payload breaks Trendyol's own contract: no lines, a part of the wrong type, a required
    field missing.
    """
    _object(pkg, "package")
    package_id = package_id_of(pkg)
    try:
        return _package_to_order(pkg, package_id, tenant_id, connection_id)
    except _MAPPING_FAULTS as exc:
        raise _cannot_map(f"package {package_id}", exc, package_id=package_id) from None


def package_or_problem(pkg: Any, *, tenant_id: str, connection_id: str) -> Order | RecordProblem:
    """The :class:`Order` for one package, or the :class:`~kervan.RecordProblem` to yield in
    its place when it cannot be mapped (so the rest of the page still arrives)."""
    return map_record(
        RecordKind.ORDER,
        pkg,
        lambda p: package_to_order(p, tenant_id=tenant_id, connection_id=connection_id),
        remote_id=lambda p: raw_id(p, "shipmentPackageId", "id"),
    )


def _lines(pkg: Mapping[str, Any]) -> list[OrderLine]:
    # Trendyol fills the package's TY discount only where it goes on the invoice (corporate)
    ty_on_invoice = money(pick(pkg, "packageTyDiscount", "totalTyDiscount")) > 0
    # micro-export packages carry the GTİP once, on the package
    hs_code = raw_id(pkg, "hsCode") if pick(pkg, "micro", default=False) else None
    raw = pick(pkg, "lines")
    if raw is None:
        raise ShapeError("lines: missing")
    if not isinstance(raw, list):
        raise ShapeError("lines: not a list")
    if not raw:
        raise ShapeError("lines: empty (a package has at least one line)")
    lines = []
    for i, line in enumerate(raw):
        try:
            lines.append(
                line_of(_object(line, "line"), ty_on_invoice=ty_on_invoice, hs_code=hs_code)
            )
        except _MAPPING_FAULTS as exc:
            raise ShapeError(f"lines[{i}]: {_error_locations(exc)}") from None
    return lines


def _package_to_order(
    pkg: Mapping[str, Any], package_id: str, tenant_id: str, connection_id: str
) -> Order:
    shipment = _object(pick(pkg, "shipmentAddress", default={}) or {}, "shipmentAddress")
    invoice = _object(pick(pkg, "invoiceAddress", default={}) or shipment, "invoiceAddress")
    status = pick(pkg, "status", "shipmentPackageStatus")
    ordered_at = from_epoch_ms(pick(pkg, "orderDate"), istanbul_wall=True)
    updated_at = from_epoch_ms(pick(pkg, "lastModifiedDate"))
    tracking = pick(pkg, "cargoTrackingNumber")
    invoice_address = address_of(invoice)
    return Order(
        id=f"{connection_id}:{package_id}",
        tenant_id=tenant_id,
        connection_id=connection_id,
        source=SOURCE,
        order_number=str(_required(pkg, "orderNumber")),
        package_id=package_id,
        lines=_lines(pkg),
        buyer=buyer_of(pkg, invoice, invoice_address),
        shipping_address=address_of(shipment) if shipment else invoice_address,
        invoice_address=invoice_address,
        currency=pick(pkg, "currencyCode", default="TRY"),
        cargo_provider=pick(pkg, "cargoProviderName"),
        cargo_tracking_number=str(tracking) if tracking not in (None, "", 0) else None,
        micro_export=bool(pick(pkg, "micro", default=False)),
        source_payable=_payable(pkg),
        ship_by=from_epoch_ms(pick(pkg, "agreedDeliveryDate")),
        remote_status=status,
        carrier_status=CARRIER_STATUS.get(status or ""),
        source_cancelled=status in CANCELLED_STATUSES,
        superseded=status == "UnPacked",
        ordered_at=ordered_at or updated_at or datetime.now(UTC),
        remote_updated_at=updated_at,
    )


def _payable(pkg: Mapping[str, Any]) -> Decimal | None:
    """What Trendyol says the buyer pays for the package (``packageTotalPrice``, VAT included),
    or None when the payload does not say."""
    value = pick(pkg, "packageTotalPrice", "totalPrice")
    return None if value in (None, "") else money(value)


def _unit_sums(line: Mapping[str, Any], quantity: Decimal) -> tuple[Decimal, Decimal] | None:
    """(seller, Trendyol) discounts of the line summed over ``discountDetails``, one entry a
    unit; None when the details are missing or do not cover every unit."""
    details = pick(line, "discountDetails")
    if not isinstance(details, list) or not details or len(details) != quantity:
        return None
    seller = ty = Decimal("0.00")
    for i, unit in enumerate(details):
        unit = _object(unit, f"discountDetails[{i}]")
        seller += money(pick(unit, "lineItemSellerDiscount", "lineItemDiscount"))
        ty += money(pick(unit, "lineItemTyDiscount"))
    return seller, ty


def line_of(
    line: Mapping[str, Any], *, ty_on_invoice: bool = False, hs_code: str | None = None
) -> OrderLine:
    """One package line. ``ty_on_invoice``: the Trendyol-funded discount is deducted on the
    invoice too (a corporate package); ``hs_code``: the package's GTİP, for lines without one."""
    quantity = Decimal(str(_required(line, "quantity")))
    sums = _unit_sums(line, quantity)
    if sums is not None:
        seller_discount, ty_discount = sums
    else:
        seller_discount = money(pick(line, "lineSellerDiscount", "discount"))
        ty_discount = money(pick(line, "lineTyDiscount", "tyDiscount"))
    gross_unit = pick(line, "lineGrossAmount", "amount")
    if gross_unit is not None:
        unit_price = money(gross_unit)
    else:
        # only the net unit price came: add both discounts back, per unit
        net = money(_required(line, "lineUnitPrice", "price"))
        unit_price = money(net + (seller_discount + ty_discount) / (quantity or 1))
    gross = money(unit_price * quantity)
    discount = seller_discount + (ty_discount if ty_on_invoice else Decimal("0.00"))
    return OrderLine(
        line_id=str(_required(line, "lineId", "id")),
        barcode=str(_required(line, "barcode")),
        sku=pick(line, "stockCode", "merchantSku"),
        name=str(pick(line, "productName")),
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=Decimal(str(pick(line, "vatRate", "vatBaseAmount", default=20))),
        discount=min(discount, gross),
        hs_code=raw_id(line, "hsCode") or hs_code,
    )


def address_of(addr: Mapping[str, Any]) -> Address:
    lines = [str(v) for v in (addr.get("address1"), addr.get("address2")) if v]
    if not lines and addr.get("fullAddress"):
        lines = [str(addr["fullAddress"])]
    district = pick(addr, "district", "countyName")
    city = pick(addr, "city", "stateName")
    return Address(
        lines=lines or ["-"],
        district=str(district or city or "-"),
        city=str(city or "-"),
        postal_code=pick(addr, "postalCode") or None,
        country=str(pick(addr, "countryCode", default="TR")).upper(),
        neighbourhood=pick(addr, "neighborhood") or None,
        phone=pick(addr, "phone") or None,
    )


def _valid_tax_id(value: Any) -> str | None:
    if not value:
        return None
    try:
        tax_id = check_tax_id(str(value))
    except ValueError:
        return None
    return None if tax_id in (PERSON_PLACEHOLDER, FOREIGN_PLACEHOLDER) else tax_id


def buyer_of(pkg: Mapping[str, Any], invoice: Mapping[str, Any], address: Address) -> Party:
    """The invoiced party: a company (VKN, or a sole trader's TCKN) for corporate invoices,
    else a person with the TCKN Trendyol gave or GİB's placeholder; foreign buyers get
    ``2222222222``."""
    first = pick(invoice, "firstName") or pick(pkg, "customerFirstName")
    last = pick(invoice, "lastName") or pick(pkg, "customerLastName")
    if not (first and last):
        first, last = _split_name(pick(invoice, "fullName") or f"{first or ''} {last or ''}")
    company = pick(invoice, "company")
    tax_number = _valid_tax_id(pick(invoice, "taxNumber") or pick(pkg, "taxNumber"))
    common: dict[str, Any] = {
        "email": pick(pkg, "customerEmail"),
        "phone": address.phone,
        "address": address,
    }
    commercial = bool(pick(pkg, "commercial", default=False))
    if not address.is_domestic:
        if company and commercial:
            return Party(
                kind=PartyKind.COMPANY, tax_id=FOREIGN_PLACEHOLDER, company_name=company, **common
            )
        return Party(
            kind=PartyKind.PERSON,
            tax_id=FOREIGN_PLACEHOLDER,
            first_name=first,
            last_name=last,
            **common,
        )
    if commercial and tax_number:
        return Party(
            kind=PartyKind.COMPANY,
            tax_id=tax_number,
            company_name=company or f"{first} {last}",
            tax_office=pick(invoice, "taxOffice"),
            **common,
        )
    tckn = _valid_tax_id(pick(pkg, "identityNumber", "customerTckn"))
    return Party(
        kind=PartyKind.PERSON,
        tax_id=tckn if tckn and len(tckn) == 11 else PERSON_PLACEHOLDER,
        first_name=first,
        last_name=last,
        **common,
    )


def _split_name(full: str) -> tuple[str, str]:
    parts = full.split()
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    if parts:
        return parts[0], "-"
    return "Trendyol", "Müşterisi"


# ---------------------------------------------------------------------------------------------
# claims


def claim_of(raw: Mapping[str, Any], *, tenant_id: str, connection_id: str) -> Claim:
    """One getClaims entry as a Kervan :class:`Claim`; raises :class:`InvalidResponseError`
    (naming the claim, never buyer data) when it breaks Trendyol's contract."""
    _object(raw, "claim")
    claim_id = raw_id(raw, "claimId", "id")
    if claim_id is None:
        raise InvalidResponseError("Trendyol claim without claimId", remote=SOURCE)
    try:
        return _claim_of(raw, claim_id, tenant_id, connection_id)
    except _MAPPING_FAULTS as exc:
        raise _cannot_map(f"claim {claim_id}", exc, claim=claim_id) from None


def claim_or_problem(raw: Any, *, tenant_id: str, connection_id: str) -> Claim | RecordProblem:
    """The :class:`Claim`, or the :class:`~kervan.RecordProblem` to yield in its place."""
    return map_record(
        RecordKind.CLAIM,
        raw,
        lambda r: claim_of(r, tenant_id=tenant_id, connection_id=connection_id),
        remote_id=lambda r: raw_id(r, "claimId", "id"),
    )


def _claim_of(raw: Mapping[str, Any], claim_id: str, tenant_id: str, connection_id: str) -> Claim:
    lines: list[ClaimLine] = []
    items = pick(raw, "items", default=[])
    if not isinstance(items, list):
        raise ShapeError("items: not a list")
    for i, item in enumerate(items):
        item = _object(item, f"items[{i}]")
        order_line = _object(item.get("orderLine") or {}, f"items[{i}].orderLine")
        for claim_item in item.get("claimItems") or []:
            lines.append(_claim_line(order_line, _object(claim_item, f"items[{i}].claimItems")))
    package_id = pick(raw, "orderShipmentPackageId")
    first = pick(raw, "customerFirstName") or ""
    last = pick(raw, "customerLastName") or ""
    tracking = pick(raw, "cargoTrackingNumber")
    return Claim(
        id=f"{connection_id}:{claim_id}",
        tenant_id=tenant_id,
        connection_id=connection_id,
        external_id=claim_id,
        order_number=str(_required(raw, "orderNumber")),
        package_id=str(package_id) if package_id else None,
        order_id=f"{connection_id}:{package_id}" if package_id else None,
        claimed_at=from_epoch_ms(pick(raw, "claimDate")) or datetime.now(UTC),
        updated_at=from_epoch_ms(pick(raw, "lastModifiedDate")),
        customer_name=f"{first} {last}".strip() or None,
        cargo_tracking_number=str(tracking) if tracking else None,
        cargo_provider=pick(raw, "cargoProviderName") or None,
        lines=lines,
    )


def _claim_line(order_line: Mapping[str, Any], item: Mapping[str, Any]) -> ClaimLine:
    reason = item.get("customerClaimItemReason") or item.get("trendyolClaimItemReason") or {}
    status = (item.get("claimItemStatus") or {}).get("name", "Created")
    return ClaimLine(
        id=str(_required(item, "id")),
        # the order line (OrderLine.line_id), not orderLineItemId (Trendyol's per-unit id)
        order_line_id=str(pick(order_line, "lineId", "id", default=item.get("orderLineItemId"))),
        barcode=str(pick(order_line, "barcode", default="-")),
        name=str(pick(order_line, "productName", default="-")),
        quantity=Decimal(1),  # one claim item is one unit
        unit_price=money(pick(order_line, "lineUnitPrice", "price")),
        reason=ClaimReason(
            code=str(pick(reason, "externalReasonId", "id", "code", default="")),
            name=str(pick(reason, "name", default="")),
            source="customer" if item.get("customerClaimItemReason") else "marketplace",
        ),
        status=CLAIM_STATUS.get(status, ClaimLineStatus.CREATED),
        customer_note=pick(item, "customerNote") or None,
    )


# ---------------------------------------------------------------------------------------------
# products


def listings_of(product: Mapping[str, Any], *, tenant_id: str, connection_id: str) -> list[Listing]:
    """Listings from one product: the v2 content shape (``variants[]``) or the flat v1 item.

    Raises :class:`InvalidResponseError` naming the product when it cannot be mapped."""
    _object(product, "product")
    try:
        return _listings_of(product, tenant_id, connection_id)
    except _MAPPING_FAULTS as exc:
        name = product_id_of(product) or "without an id"
        raise _cannot_map(f"product {name}", exc, product=name) from None


def product_id_of(product: Any) -> str | None:
    """A raw product's barcode (the flat v1 item's, or its first variant's), else its content
    id: what a :class:`~kervan.RecordProblem` for it names, so that a later good listing with
    that barcode settles it."""
    variants = product.get("variants") if isinstance(product, Mapping) else None
    first = variants[0] if isinstance(variants, list) and variants else product
    return raw_id(first, "barcode") or raw_id(product, "contentId", "id")


def listings_or_problem(
    product: Any, *, tenant_id: str, connection_id: str
) -> list[Listing] | RecordProblem:
    """The listings of one product, or the :class:`~kervan.RecordProblem` in their place."""
    return map_record(
        RecordKind.LISTING,
        product,
        lambda p: listings_of(p, tenant_id=tenant_id, connection_id=connection_id),
        remote_id=product_id_of,
    )


def _listings_of(product: Mapping[str, Any], tenant_id: str, connection_id: str) -> list[Listing]:
    variants = product.get("variants")
    attributes = _attributes(product.get("attributes"))
    if variants is None:
        return [_listing(product, product, attributes, tenant_id, connection_id)]
    if not isinstance(variants, list):
        raise ShapeError("variants: not a list")
    return [
        _listing(
            product,
            _object(variant, f"variants[{i}]"),
            {**attributes, **_attributes(variant.get("attributes"))},
            tenant_id,
            connection_id,
        )
        for i, variant in enumerate(variants)
    ]


def _attributes(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for attr in raw or []:
        name = pick(attr, "attributeName")
        value = pick(attr, "attributeValue", "customAttributeValue")
        if name and value is not None:
            out[str(name)] = str(value)
    return out


def _listing(
    product: Mapping[str, Any],
    variant: Mapping[str, Any],
    attributes: dict[str, str],
    tenant_id: str,
    connection_id: str,
) -> Listing:
    barcode = str(_required(variant, "barcode"))
    nested = variant.get("price")
    price: Mapping[str, Any] = nested if isinstance(nested, Mapping) else variant
    stock = variant.get("stock")
    quantity = stock.get("quantity") if isinstance(stock, Mapping) else stock
    if quantity is None:
        quantity = variant.get("quantity")
    sale, listed = pick(price, "salePrice"), pick(price, "listPrice")
    external = pick(variant, "variantId", "id", default=pick(product, "contentId"))
    return Listing(
        id=f"{connection_id}:{barcode}",
        tenant_id=tenant_id,
        connection_id=connection_id,
        external_id=str(external) if external is not None else None,
        # a product that cannot be read is quarantined under its contentId: a good version
        # of it settles that problem through this id
        remote_product_id=raw_id(product, "contentId"),
        barcode=barcode,
        sku=pick(variant, "stockCode") or pick(product, "stockCode"),
        title=pick(product, "title"),
        sale_price=money(sale) if sale is not None else None,
        list_price=money(listed) if listed is not None else None,
        quantity=int(quantity) if quantity is not None else None,
        attributes=attributes,
    )
