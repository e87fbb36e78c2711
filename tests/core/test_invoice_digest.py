"""An invoice's content digest: what lets an issuer skip GİB's full rules on a numbered
invoice whose draft passed them. It survives the store, ignores exactly what numbering writes
and what the XML does not carry, and changes with everything else."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.domain import Invoice
from kervan.domain.documents import _NOT_IN_DIGEST
from kervan.engine.invoice import ISTANBUL
from kervan.invoicing import numbered

sys.path.insert(0, str(Path(__file__).parent))
from test_domain_roundtrip import instances

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
invoices = instances(Invoice)


@SETTINGS
@given(invoices)
def test_the_digest_survives_the_store(invoice: Invoice):
    kept = Invoice.model_validate_json(invoice.model_dump_json())
    assert kept.content_digest() == invoice.content_digest()
    assert invoice.content_digest().startswith("sha256:")


@SETTINGS
@given(
    invoices,
    st.integers(1, 10**9 - 1),
    # numbering's issue time is the clock's (any draft date may come before it); a year GİB
    # could see, so a number's four-digit year is real
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
)
def test_numbering_leaves_the_digest_as_it_was(invoice: Invoice, seq: int, now: datetime):
    issued_at = now.astimezone(ISTANBUL)
    after = numbered(invoice, f"KRA{issued_at.year}{seq:09d}", issued_at)
    assert after.content_digest() == invoice.content_digest()


#: the fields the digest leaves out, each for a reason: numbering writes it, or the XML does
#: not carry it (a new field is in the digest unless it is added here, with its reason)
LEFT_OUT = {
    "number": "numbering",
    "issued_at": "numbering",
    "status": "not in the XML",
    "remote_id": "not in the XML",
    "status_detail": "not in the XML",
    "answer": "not in the XML",
    "answered_at": "not in the XML",
    "checked_digest": "the mark itself",
}


def test_the_digest_leaves_out_only_what_numbering_writes_and_the_xml_does_not_carry():
    assert set(_NOT_IN_DIGEST) == {*LEFT_OUT, "internet_sale"}
    assert _NOT_IN_DIGEST["internet_sale"] == {"send_date": True}  # numbering moves it up


@SETTINGS
@given(invoices, invoices)
def test_any_other_change_changes_the_digest(a: Invoice, b: Invoice):
    for name in Invoice.model_fields:
        if name in LEFT_OUT:
            continue
        changed = a.model_copy(update={name: getattr(b, name)})
        if changed.model_dump_json(include={name}) != a.model_dump_json(include={name}):
            sale_a, sale_c = a.internet_sale, changed.internet_sale
            if name == "internet_sale" and sale_a and sale_c:
                same_but_date = sale_c.model_copy(update={"send_date": sale_a.send_date})
                if same_but_date == sale_a and (sale_a.send_date is None) == (
                    sale_c.send_date is None
                ):
                    continue  # only the send date's value moved: numbering's to move
            assert changed.content_digest() != a.content_digest(), name


@SETTINGS
@given(invoices)
def test_setting_or_clearing_the_send_date_changes_the_digest(invoice: Invoice):
    sale = invoice.internet_sale
    if sale is None:
        return
    flipped = sale.model_copy(
        update={"send_date": None if sale.send_date else invoice.issued_at.date()}
    )
    other = invoice.model_copy(update={"internet_sale": flipped})
    assert other.content_digest() != invoice.content_digest()
