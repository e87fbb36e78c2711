"""What a shipping label shows, independent of how it is printed (PDF or ZPL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from kervan.domain import Address, Package, Party

#: the version of :meth:`LabelData.as_dict`'s data (a later SDK still reads what it kept)
DATA_VERSION = 1
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

    def as_dict(self) -> dict[str, Any]:
        """The label's fields as JSON data (``Label.render_data``), read back by
        :meth:`from_dict`: what the core keeps to draw the PDF when it is first printed."""
        data = asdict(self)
        data["desi"], data["weight_kg"] = str(self.desi), str(self.weight_kg)
        return {"v": DATA_VERSION, **data}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelData:
        """The label :meth:`as_dict` gave; :class:`LabelError` for data it did not write."""
        if data.get("v") != DATA_VERSION:
            raise LabelError(f"label data of version {data.get('v')!r}, not {DATA_VERSION}")
        try:
            sender = data["sender"]
            return cls(
                carrier=data["carrier"],
                sender=None if sender is None else _party(sender),
                receiver=_party(data["receiver"]),
                pieces=tuple(data["pieces"]),
                desi=Decimal(data["desi"]),
                weight_kg=Decimal(data["weight_kg"]),
                tracking_number=data.get("tracking_number"),
                tracking_barcode=bool(data.get("tracking_barcode")),
                reference=data.get("reference"),
                notes=tuple(data.get("notes") or ()),
            )
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise LabelError(f"label data unreadable: {exc!r}") from exc

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


def _party(data: Mapping[str, Any]) -> LabelParty:
    return LabelParty(str(data["name"]), tuple(data.get("lines") or ()))


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
