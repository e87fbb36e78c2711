"""Claims through the connector: rejection with several evidence files and the limits checked
before any call, the auto-accept deadline and the opener read from the audit, the carrier,
the rejection reasons, and each claim once per fetch however pages overlap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan import ClaimFile, RecordProblem
from kervan.domain import ClaimLineStatus
from kervan.errors import InvalidInputError
from kervan_sdk.sandbox import Fault
from kervan_trendyol.claim_rules import (
    AUTO_ACCEPT_AFTER,
    MAX_FILE_BYTES,
    check_files,
    respond_by_of,
)
from kervan_trendyol.mapping import from_epoch_ms, to_epoch_ms

from .conftest import fetch, make_connector

PHOTO = ClaimFile(name="iade.jpg", data=b"\xff\xd8\xff\xe0 scuffed sole")
PNG = ClaimFile(name="etiket.png", data=b"\x89PNG\r\n\x1a\n label", content_type="image/png")
EVIDENCE = ClaimFile(
    name="paketleme-kaydi.pdf", data=b"%PDF-1.4 pack scan log", content_type="application/pdf"
)


async def claims(trendyol, days: int = 3):
    since = trendyol.context.clock() - timedelta(days=days)
    return [c async for c in trendyol.fetch_claims(since)]


def arrived_claim(sandbox, index: int = 0) -> str:
    pid = list(sandbox.packages)[index]
    sandbox.deliver(pid)
    claim_id = sandbox.open_customer_claim(pid)
    sandbox.claim_arrives(claim_id)
    return claim_id


async def one(trendyol, claim_id: str):
    return next(c for c in await claims(trendyol) if c.external_id == claim_id)


async def test_reject_sends_photos_and_packing_evidence_in_one_request(sandbox, trendyol):
    claim = await one(trendyol, arrived_claim(sandbox))
    ids = [line.id for line in claim.lines]
    files = [PHOTO, PNG, EVIDENCE]
    ref = await trendyol.reject_claim(claim, ids, "251", "Ürün kırık geldi", files)
    assert ref.remote_id == claim.external_id and not ref.already_done
    assert sandbox.claim_attachments(claim.external_id) == [
        (f.name, f.content_type, f.data) for f in files
    ]
    assert sandbox.count("POST", "*/issue") == 1
    after = await one(trendyol, claim.external_id)
    assert {line.status for line in after.lines} == {ClaimLineStatus.DISPUTED}
    again = await trendyol.reject_claim(claim, ids, "251", "Ürün kırık geldi", files)
    assert again.already_done and sandbox.count("POST", "*/issue") == 2


@pytest.mark.parametrize(
    ("reason", "files", "says"),
    [
        ("251", [], "needs at least one file"),
        ("251", [PHOTO] * 11, "at most 10 files"),
        ("251", [ClaimFile(name="log.json", data=b"{}", content_type="application/json")], "PDF"),
        ("251", [ClaimFile(name="a.jpg", data=b"%PDF-1.4")], "its content is not"),
        ("251", [PHOTO.model_copy(update={"data": PHOTO.data + b"0" * MAX_FILE_BYTES})], "bytes"),
        ("defolu", [PHOTO], "claim_reasons()"),
    ],
    ids=["no-file", "eleven", "json", "mislabelled", "too-big", "not-an-id"],
)
async def test_reject_refuses_before_any_call(sandbox, trendyol, reason, files, says):
    claim = await one(trendyol, arrived_claim(sandbox))
    with pytest.raises(InvalidInputError) as err:
        await trendyol.reject_claim(claim, [claim.lines[0].id], reason, "iade reddi", files)
    assert says in str(err.value)
    assert sandbox.count("POST", "*/issue") == 0


async def test_the_deadline_is_48_hours_after_the_parcel_arrived(sandbox, trendyol):
    pid = next(iter(sandbox.packages))
    sandbox.deliver(pid)
    claim_id = sandbox.open_customer_claim(pid)
    on_way = await one(trendyol, claim_id)
    assert on_way.respond_by is None and on_way.opened_by == "customer"
    sandbox.clock.advance(5 * 3600)
    arrived_at = sandbox.clock.now()
    sandbox.claim_arrives(claim_id)
    sandbox.clock.advance(3 * 3600)
    waiting = await one(trendyol, claim_id)
    assert waiting.respond_by == from_epoch_ms(to_epoch_ms(arrived_at)) + AUTO_ACCEPT_AFTER
    assert waiting.cargo_provider == "Trendyol Express Marketplace"
    assert waiting.cargo_tracking_number == str(sandbox.claims[claim_id]["cargoTrackingNumber"])
    sandbox.clock.advance((waiting.respond_by - sandbox.clock.now()).total_seconds() + 1)
    settled = await one(trendyol, claim_id)
    assert {line.status for line in settled.lines} == {ClaimLineStatus.ACCEPTED}
    assert settled.respond_by is None  # nothing left to answer


async def test_claim_reasons_are_the_rejection_reasons(trendyol):
    reasons = {r.code: r for r in await trendyol.claim_reasons()}
    assert {"1", "51", "251", "451", "1651", "2101"} <= set(reasons)
    assert all(r.source == "seller" and r.name for r in reasons.values())


async def test_each_claim_once_per_fetch_across_overlapping_pages(sandbox):
    opened = {arrived_claim(sandbox, i) for i in range(12)}
    trendyol = make_connector(sandbox, page_size=5)
    sandbox.faults.add(Fault("overlap_page", path="*/claims"))
    sandbox.faults.add(Fault("duplicate_page", path="*/claims"))
    fetched = [c.external_id for c in await claims(trendyol)]
    assert sorted(fetched) == sorted(opened)
    assert not sandbox.faults.pending()
    await trendyol.aclose()


async def test_a_damaged_claim_is_a_problem_once_and_the_others_come(sandbox):
    opened = {arrived_claim(sandbox, i) for i in range(6)}
    trendyol = make_connector(sandbox, page_size=5)
    sandbox.faults.add(Fault("damaged_record", path="*/claims"))
    sandbox.faults.add(Fault("duplicate_page", path="*/claims"))
    got = await claims(trendyol)
    problems = [p for p in got if isinstance(p, RecordProblem)]
    assert len(problems) == 1 and problems[0].kind == "claim"
    good = {c.external_id for c in got if not isinstance(c, RecordProblem)}
    assert good == opened - {problems[0].remote_id}
    assert trendyol.map_claim(sandbox.faults.damaged[0]).external_id == problems[0].remote_id
    await trendyol.aclose()


async def test_open_customer_claim_takes_part_of_a_package(sandbox, trendyol):
    pid = next(p for p, pkg in sandbox.packages.items() if pkg["lines"][0]["quantity"] >= 1)
    sandbox.deliver(pid)
    line = sandbox.packages[pid]["lines"][0]
    claim_id = sandbox.open_customer_claim(pid, {line["lineId"]: 1}, reason_id=501, note="dar")
    claim = await one(trendyol, claim_id)
    assert [(x.order_line_id, x.reason.code, x.customer_note) for x in claim.lines] == [
        (str(line["lineId"]), "501", "dar")
    ]
    with pytest.raises(ValueError):
        sandbox.open_customer_claim(pid, {line["lineId"]: line["quantity"] + 1})


async def test_a_buyer_cannot_claim_units_the_seller_already_claimed(sandbox, trendyol):
    order = (await fetch(trendyol))[0]
    sandbox.deliver(order.package_id)
    whole = {line.line_id: int(line.quantity) for line in order.lines}
    ref = await trendyol.create_claim(order, whole, "401")
    with pytest.raises(ValueError):
        sandbox.open_customer_claim(order.package_id)
    assert [c["claimId"] for c in sandbox.claims.values()] == [ref.remote_id]


epochs = st.integers(min_value=1_600_000_000_000, max_value=1_900_000_000_000)
statuses = st.sampled_from(["Created", "WaitingInAction", "Accepted", "Unresolved"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(statuses, epochs), max_size=6))
def test_respond_by_is_48_hours_after_the_last_arrival_whatever_the_audit_order(entries):
    audit = [{"newStatus": status, "date": ms} for status, ms in entries]
    arrivals = [ms for status, ms in entries if status == "WaitingInAction"]
    expected = from_epoch_ms(max(arrivals)) + AUTO_ACCEPT_AFTER if arrivals else None
    assert respond_by_of(audit) == expected
    assert respond_by_of(list(reversed(audit))) == expected


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.sampled_from([PHOTO, PNG, EVIDENCE, ClaimFile(name="x.gif", data=b"GIF89a")]),
        max_size=12,
    )
)
def test_check_files_accepts_exactly_pdf_jpeg_png_up_to_ten(files):
    allowed = len(files) <= 10 and all(f.name != "x.gif" for f in files)
    if allowed:
        check_files(files)
    else:
        with pytest.raises(InvalidInputError):
            check_files(files)
