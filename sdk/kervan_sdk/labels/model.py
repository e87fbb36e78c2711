"""What a shipping label shows, independent of how it is printed (PDF or ZPL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kervan.domain import Address, Package, Party

#: the characters Code128 can carry as text (printable ASCII); ``^`` and ``~`` are ZPL's
#: command prefixes and never appear in a carrier's barcode
_BARCODE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {"^", "~"}


class LabelError(ValueError):
    """A label cannot be drawn as asked (a barcode with characters Code128 cannot carry, a
    ZPL symbology this renderer does not know); the message says which and why."""


@dataclass(frozen=True)
class LabelParty:
    """A name and the lines under it: the sender or the receiver block."""

    name: str
    lines: tuple[str, ...] = ()

    @classmethod
    def of(cls, party: Party, address: Address | None = None) -> LabelParty:
        """``party``'s name over ``address`` (or the party's own address)."""
        return cls(party.display_name, address_lines(address or party.address, party.phone))


def address_lines(address: Address | None, phone: str | None = None) -> tuple[str, ...]:
    """An address as a label prints it: street lines, mahalle, ilçe / il, country abroad,
    then a phone (the address's, else ``phone``)."""
    if address is None:
        return (f"Tel: {phone}",) if phone else ()
    lines = list(address.lines)
    if address.neighbourhood and not any(address.neighbourhood in line for line in lines):
        lines.insert(0, address.neighbourhood)
    place = f"{address.district} / {address.city}"
    if address.postal_code:
        place = f"{address.postal_code} {place}"
    lines.append(place)
    if not address.is_domestic:
        lines.append(address.country)
    tel = address.phone or phone
    if tel:
        lines.append(f"Tel: {tel}")
    return tuple(lines)


@dataclass(frozen=True)
class LabelData:
    """One shipment's label: a page (PDF) or an ``^XA…^XZ`` block (ZPL) per piece.

    ``pieces`` holds the main barcode of each piece (Code128), what the carrier's branch
    scans. ``tracking_number`` is printed as text when it differs from the piece barcode, and
    also as a second, smaller Code128 when ``tracking_barcode`` is set (carriers whose piece
    barcode is not the shipment number, as MNG's).
    """

    carrier: str
    sender: LabelParty | None
    receiver: LabelParty
    pieces: tuple[str, ...]
    desi: Decimal
    weight_kg: Decimal
    tracking_number: str | None = None
    tracking_barcode: bool = False
    reference: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.pieces:
            raise LabelError("a label needs at least one piece barcode")
        for value in (*self.pieces, *([self.tracking_number] if self.tracking_barcode else [])):
            check_barcode(value or "")

    @classmethod
    def for_package(
        cls,
        package: Package,
        *,
        carrier: str,
        pieces: list[str] | tuple[str, ...] | None = None,
        desi: Decimal | None = None,
        tracking_number: str | None = None,
        tracking_barcode: bool = False,
        reference: str | None = None,
        sender_fallback: str | None = None,
    ) -> LabelData:
        """The label of ``package`` as the core asked for it: the sender block is the seller
        the core puts on the request (``package.sender``), the receiver block is the
        receiver at the shipping address. ``pieces`` defaults to the cargo key on every
        parcel; ``sender_fallback`` names the sender only when the request carries no seller
        (a core older than the seller on the request, or a tenant without one)."""
        sender = package.sender
        return cls(
            carrier=carrier,
            sender=LabelParty.of(sender)
            if sender is not None
            else (LabelParty(sender_fallback) if sender_fallback else None),
            receiver=LabelParty.of(package.receiver, package.address),
            pieces=tuple(pieces or [package.cargo_key] * package.parcel_count),
            desi=package.desi if desi is None else desi,
            weight_kg=package.weight_kg,
            tracking_number=tracking_number,
            tracking_barcode=tracking_barcode,
            reference=reference,
            notes=(f"Kapıda ödeme: {package.cod_amount} TL",) if package.cod_amount else (),
        )


def check_barcode(value: str) -> str:
    """``value`` if Code128 can carry it as printed text, else :class:`LabelError`."""
    if not value:
        raise LabelError("a barcode cannot be empty")
    bad = sorted({c for c in value if c not in _BARCODE_CHARS})
    if bad:
        raise LabelError(
            f"barcode {value!r} has characters a Code128 label cannot carry: {''.join(bad)!r} "
            "(printable ASCII only, without ^ and ~)"
        )
    return value
