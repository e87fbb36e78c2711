"""GİB's full rules once per invoice content: a numbered invoice whose draft passed them gets
GİB's XSD and exact checks on what numbering wrote, not the schematron again; anything else
(a changed content, a bad number or date) is validated in full, as before."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain import DocumentKind, DocumentStatus, Invoice
from kervan.invoicing import invoice_from_order, numbered
from kervan.roles import CarrierLegal
from kervan.tax import decide
from kervan_ubltr import DocumentInvalid, build_invoice, build_valid
from kervan_ubltr.numbered import check_numbered
from kervan_ubltr.validation import Validator
from lxml import etree
from strategies_ubltr import SELLER, T0, lookups_for, new_uuid, orders
from test_ubl_validation import COMPANY, DE, invoice, order, registered

ISTANBUL = ZoneInfo("Europe/Istanbul")
MICRO = Decimal("0.000001")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARRIER = CarrierLegal(
    name="Örnek Kargo A.Ş.", tax_id="3297552117", city="Bursa", district="Nilüfer", source="test"
)


@dataclass
class Calls:
    full: int = 0  # GİB's XSD and schematron (Saxon), in this process or a worker


@contextlib.contextmanager
def counting() -> Iterator[Calls]:
    """Counts every full validation, whichever validator and process runs it."""
    calls = Calls()
    real = Validator.validate

    def validate(self, xml, **kw):
        calls.full += 1
        return real(self, xml, **kw)

    with mock.patch.object(Validator, "validate", validate):
        yield calls


def checked(draft: Invoice) -> Invoice:
    """What the engine stores once the issuer's full checks passed the draft
    (``engine.invoice._validated``): the content's digest, and no number yet."""
    build_valid(draft)
    return draft.model_copy(update={"number": None, "checked_digest": draft.content_digest()})


def stored(invoice: Invoice) -> Invoice:
    """``invoice`` written to the store and read back."""
    return Invoice.model_validate(invoice.model_dump(mode="json"))


def sale(o, lookup, commercial: bool, carrier: bool) -> Invoice:
    decision = decide(o, lookup, commercial=commercial)
    rate = None if o.currency == "TRY" else Decimal("35.417823")
    provisional = "KRA2026000000001"  # the engine's: its own series, sequence 1
    return invoice_from_order(
        o,
        decision,
        seller=SELLER,
        number=provisional,
        uuid=new_uuid(int(o.order_number)),
        issued_at=T0,
        sender_alias="urn:mail:defaultgb@satici.example",
        website="https://magaza.example",
        carrier=CARRIER if carrier else None,
        exchange_rate=rate,
    )


def kind_of(invoice: Invoice) -> str:
    if invoice.kind is DocumentKind.EXPORT:
        return "micro export" if invoice.profile == "EARSIVFATURA" else "export"
    return str(invoice.kind)


@SETTINGS
@given(
    orders(),
    st.data(),
    st.booleans(),
    st.booleans(),
    st.integers(1, 999_999_999),
    st.integers(0, 14 * 24 * 3600),
)
def test_a_numbered_invoice_whose_draft_passed_is_not_checked_by_the_schematron_again(
    validator, order, data, commercial, carrier, seq, later_s
):
    draft = sale(order, data.draw(lookups_for(order)), commercial, carrier)
    event(kind_of(draft))
    kept = stored(checked(draft))
    issued_at = (T0 + timedelta(seconds=later_s)).astimezone(ISTANBUL).replace(microsecond=0)
    leaving = stored(numbered(kept, f"KRA{issued_at.year}{seq:09d}", issued_at))
    assert leaving.checked_digest == leaving.content_digest()  # numbering kept the mark
    with counting() as calls:
        xml = build_valid(leaving)
    assert calls.full == 0, "GİB's schematron ran again on content it already passed"
    report = validator.validate(xml)  # and the XML that left passes everything
    assert report.ok, report.errors


def _xsd_only_differences(a: bytes, b: bytes) -> set[str]:
    """The elements and attributes where two XMLs of the same shape differ."""
    differ = set()
    left, right = etree.fromstring(a), etree.fromstring(b)
    for x, y in zip(left.iter(), right.iter(), strict=True):
        assert x.tag == y.tag
        name = etree.QName(x).localname
        if (x.text or "") != (y.text or ""):
            differ.add(name)
        for key in set(x.attrib) | set(y.attrib):
            if x.get(key) != y.get(key):
                differ.add(f"{name}/@{key}")
    return differ


#: what numbering may change in the XML: what check_numbered checks exactly (the number,
#: every IssueDate), and what GİB checks only by XSD type (a time, a date, the number again
#: inside a reference, a file name and the signature's URI)
WRITTEN_BY_NUMBERING = {
    "ID",
    "IssueDate",
    "IssueTime",
    "ActualDespatchDate",
    "Date",
    "URI",
    "EmbeddedDocumentBinaryObject/@filename",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders(), st.data(), st.booleans(), st.integers(1, 999_999_999), st.integers(0, 10**6))
def test_numbering_changes_the_xml_only_where_the_numbered_check_looks(
    order, data, carrier, seq, later_s
):
    draft = sale(order, data.draw(lookups_for(order)), False, carrier)
    issued_at = (T0 + timedelta(seconds=later_s)).astimezone(ISTANBUL)
    after = numbered(draft, f"KRA{issued_at.year}{seq:09d}", issued_at)
    assert after.content_digest() == draft.content_digest()
    assert _xsd_only_differences(build_invoice(draft), build_invoice(after)) <= (
        WRITTEN_BY_NUMBERING
    )


def test_what_the_digest_leaves_out_besides_numbering_never_reaches_the_xml():
    base = invoice(order())
    other = base.model_copy(
        update={
            "status": DocumentStatus.REJECTED,
            "remote_id": "r-1",
            "status_detail": "GİB: ret",
            "answer": "KABUL",
            "answered_at": T0,
            "checked_digest": "sha256:" + "0" * 64,
        }
    )
    assert build_invoice(base) == build_invoice(other)
    assert base.content_digest() == other.content_digest()


MAKERS = {
    "e-Arşiv": lambda: invoice(order()),
    "e-Fatura": lambda: invoice(order(COMPANY), registered(COMPANY.tax_id)),
    "TICARIFATURA": lambda: invoice(order(COMPANY), registered(COMPANY.tax_id), True),
    "export": lambda: invoice(order(address=DE)),
    "micro export": lambda: invoice(
        order(address=DE, micro=True, currency="EUR"), exchange_rate=Decimal("36.5")
    ),
}


def leaving(make, *, number: str = "KRA2026000000042", at: datetime | None = None) -> Invoice:
    issued_at = (at or T0 + timedelta(days=3)).astimezone(ISTANBUL)
    return stored(numbered(stored(checked(make())), number, issued_at))


@pytest.mark.parametrize("kind", MAKERS)
def test_every_kind_leaves_on_the_numbered_check(validator, kind):
    invoice = leaving(MAKERS[kind])
    with counting() as calls:
        xml = build_valid(invoice)
    assert calls.full == 0
    assert validator.validate(xml).ok


#: changes to what GİB's rules judged, each leaving the invoice a valid pydantic model
TAMPERING = {
    "a note": lambda i: {"notes": [*i.notes, "sonradan eklendi"]},
    "a line's name": lambda i: {
        "lines": [i.lines[0].model_copy(update={"name": "Başka ürün"}), *i.lines[1:]]
    },
    "the buyer": lambda i: {"buyer": i.buyer.model_copy(update={"email": "x@example.com"})},
    "the seller": lambda i: {"seller": i.seller.model_copy(update={"tax_office": "Ulus"})},
    "the UUID": lambda i: {"uuid": new_uuid(123456)},
    "the profile": lambda i: {"profile": "OZELFATURA"},
    "the type code": lambda i: {"type_code": "TEVKIFAT"},
    "the order reference": lambda i: {"order_number": "X-1"},
    "the order date": lambda i: {"order_date": date(2026, 2, 1)},
    "the total": lambda i: {
        "totals": i.totals.model_copy(update={"payable": i.totals.payable + Decimal("0.01")})
    },
    "a price's exponent": lambda i: {
        "lines": [
            i.lines[0].model_copy(update={"unit_price": i.lines[0].unit_price.quantize(MICRO)}),
            *i.lines[1:],
        ]
    },
    "the send date, gone": lambda i: {
        "internet_sale": i.internet_sale.model_copy(update={"send_date": None})
        if i.internet_sale
        else None
    },
}


#: an e-Fatura has no internet-sale block, so no send date to take away
NOT_ON = {("the send date, gone", "e-Fatura")}


@pytest.mark.parametrize(
    ("what", "kind"),
    [
        (what, kind)
        for kind in ["e-Arşiv", "e-Fatura", "micro export"]
        for what in TAMPERING
        if (what, kind) not in NOT_ON
    ],
)
def test_a_marked_invoice_whose_content_changed_is_validated_in_full(what, kind):
    invoice = leaving(MAKERS[kind])
    tampered = invoice.model_copy(update=TAMPERING[what](invoice))
    assert tampered.model_dump_json() != invoice.model_dump_json()
    assert tampered.checked_digest == invoice.checked_digest  # the mark came along
    assert tampered.content_digest() != invoice.checked_digest
    with counting() as calls, contextlib.suppress(DocumentInvalid):
        build_valid(tampered)
    # our arithmetic refuses a wrong total before any XML; everything else goes to GİB's rules
    assert calls.full == (0 if what == "the total" else 1)


def test_a_changed_content_that_breaks_gibs_rules_never_leaves_under_the_old_mark():
    invoice = leaving(MAKERS["e-Arşiv"])
    bad = invoice.model_copy(update={"profile": "UYDURMAFATURA"})
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(bad)
    assert "sch-ProfileIDCheck-1" in {e["rule"] for e in caught.value.errors}


def test_an_issue_date_after_todays_in_istanbul_goes_to_the_full_check_and_is_refused():
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    invoice = leaving(MAKERS["e-Arşiv"], number=f"KRA{tomorrow.year}000000042", at=tomorrow)
    with counting() as calls, pytest.raises(DocumentInvalid) as caught:
        build_valid(invoice)
    assert calls.full == 1
    assert "sch-TimeCheck-1" in {e["rule"] for e in caught.value.errors}


def test_a_number_gib_would_refuse_goes_to_the_full_check_and_is_refused():
    invoice = leaving(MAKERS["e-Fatura"]).model_copy(update={"number": "kr2026000000042"})
    with counting() as calls, pytest.raises(DocumentInvalid) as caught:
        build_valid(invoice)
    assert calls.full == 1
    assert "sch-InvoiceIDCheck-1" in {e["rule"] for e in caught.value.errors}


def test_a_number_of_another_year_is_checked_in_full():
    # GİB's schematron does not compare them; our numbered check does, and hands over
    invoice = leaving(MAKERS["e-Arşiv"], number="KRA2025000000042")
    with counting() as calls:
        build_valid(invoice)
    assert calls.full == 1


def test_an_invoice_without_the_mark_is_validated_in_full_as_before():
    invoice = stored(numbered(MAKERS["export"](), "KRA2026000000042", T0))
    assert invoice.checked_digest is None
    with counting() as calls:
        build_valid(invoice)
    assert calls.full == 1


def _xml_dated(day: date) -> bytes:
    issued_at = datetime.combine(day, datetime.min.time(), tzinfo=ISTANBUL).replace(hour=23)
    return build_invoice(
        numbered(invoice(order()), f"KRA{day.year}000000042", issued_at.astimezone(UTC))
    )


def test_the_numbered_check_reads_todays_date_in_istanbul():
    # 22:30 UTC on 1 March is 01:30 on 2 March in Istanbul: an invoice dated 2 March is fine
    now = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert check_numbered(_xml_dated(date(2026, 3, 2)), now=now).ok
    late = check_numbered(_xml_dated(date(2026, 3, 3)), now=now)
    assert late.errors and {i.rule for i in late.errors} == {"sch-TimeCheck-1"}


def test_the_numbered_check_runs_gibs_xsd():
    xml = build_invoice(leaving(MAKERS["e-Arşiv"]))
    broken = xml.replace(b"<cbc:UBLVersionID>2.1</cbc:UBLVersionID>", b"")
    report = check_numbered(broken)
    assert report.errors and {i.source for i in report.errors} == {"xsd"}


def test_the_numbered_check_counts_the_lines():
    xml = build_invoice(leaving(MAKERS["e-Arşiv"]))
    wrong = xml.replace(b"<cbc:LineCountNumeric>2<", b"<cbc:LineCountNumeric>3<")
    assert [i.rule for i in check_numbered(wrong).errors] == ["kervan-line-count"]
