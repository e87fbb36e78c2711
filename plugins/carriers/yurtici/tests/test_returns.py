"""The connector's returns against the sandbox: return codes (book, ask again, withdraw) and the
inbound parcels a returns desk follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan import ReturnBooking, ReturnRequest
from kervan.domain import Address, Party, PartyKind, TrackingStatus
from kervan.errors import InvalidInputError, RemoteRejectedError, RemoteUnavailableError
from kervan_yurtici import Yurtici, YurticiSettings
from kervan_yurtici.mapping import TR_TIME
from kervan_yurtici.returns import MAX_COUNT, return_code

BASE = "http://yurtici.sandbox"
HOUR = 3600


def request(reference: str = "claim-1", **kw: object) -> ReturnRequest:
    buyer = Party(kind=PartyKind.PERSON, tax_id="11111111111", first_name="Ayşe", last_name="Kaya")
    seller = Party(kind=PartyKind.COMPANY, tax_id="1234567890", company_name="Kervan Demo A.Ş.")
    fields: dict[str, object] = {
        "reference": reference,
        "order_number": "TY-1001",
        "sender": buyer,
        "sender_address": Address(lines=["Moda Cad. No:5"], district="Kadıköy", city="İstanbul"),
        "receiver": seller,
        "receiver_address": Address(lines=["Depo Sok. 1"], district="Ataşehir", city="İstanbul"),
    }
    fields.update(kw)
    return ReturnRequest(**fields)  # type: ignore[arg-type]


def reports(sandbox) -> list[bytes]:
    return [e for e in sandbox.envelopes if b"listInvDocumentInterfaceByReference" in e]


async def test_a_return_code_is_registered_for_the_parcels_and_the_window(carrier, sandbox, clock):
    booking = await carrier.book_return(request(parcels=2))
    today = clock.now().astimezone(TR_TIME).date()
    assert booking.code == return_code("claim-1") and booking.reference == "claim-1"
    assert booking.valid_until == today + timedelta(days=14) and not booking.already_existed
    saved = sandbox.return_codes.codes["16", booking.code]
    assert (saved.start, saved.end) == (f"{today:%Y%m%d}", f"{booking.valid_until:%Y%m%d}")
    assert saved.max_count == 2


async def test_asking_again_for_the_same_return_gives_the_same_code(carrier, sandbox, clock):
    first = await carrier.book_return(request())
    clock.advance(24 * HOUR)  # the engine retries a day later
    again = await carrier.book_return(request())
    assert again.code == first.code and again.already_existed and again.valid_until is None
    assert len(sandbox.return_codes.codes) == 1


async def test_too_many_parcels_are_refused_before_any_call(carrier, sandbox):
    with pytest.raises(InvalidInputError) as info:
        await carrier.book_return(request(parcels=MAX_COUNT + 1))
    assert info.value.errors[0]["loc"] == ["parcels"]
    assert sandbox.envelopes == []


async def test_a_return_code_is_withdrawn_once(carrier, sandbox):
    booking = await carrier.book_return(request())
    assert not (await carrier.cancel_return(booking)).already_done
    assert sandbox.return_codes.codes["16", booking.code].cancelled
    assert (await carrier.cancel_return(booking)).already_done


async def test_a_return_code_field_the_contract_lacks_is_refused(sandbox, context):
    settings = {**sandbox.demo_settings(BASE), "return_code_field": "99"}
    connector = Yurtici(YurticiSettings.parse(settings), context)
    with pytest.raises(RemoteRejectedError) as info:
        await connector.book_return(request())
    await connector.aclose()
    assert info.value.detail["errCode"] == "82654" and not info.value.retryable


async def test_the_returns_desk_sees_a_parcel_from_hand_in_to_the_seller(carrier, sandbox, clock):
    handed, idle = (
        await carrier.book_return(request("claim-a")),
        await carrier.book_return(request("claim-b")),
    )
    assert await carrier.track_returns([handed, idle]) == {handed.code: [], idle.code: []}
    sandbox.hand_in_return(handed.code)
    clock.advance(29 * HOUR)
    found = await carrier.track_returns([handed, idle])
    assert found[idle.code] == []
    statuses = [e.status for e in found[handed.code]]
    assert statuses == [
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    assert found[handed.code][0].location and "ÇIKIŞ" in found[handed.code][0].location
    body = reports(sandbox)[-1]
    assert b"<fieldName>16</fieldName>" in body and b"<withCargoLifecycle>1<" in body


async def test_two_parcels_on_one_code_are_followed_together(carrier, sandbox, clock):
    booking = await carrier.book_return(request(parcels=2))
    sandbox.hand_in_return(booking.code)
    clock.advance(10 * HOUR)
    sandbox.hand_in_return(booking.code)
    clock.advance(20 * HOUR)
    events = (await carrier.track_returns([booking]))[booking.code]
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert [e.status for e in events].count(TrackingStatus.PICKED_UP) == 2
    assert [e.status for e in events].count(TrackingStatus.DELIVERED) == 1  # the first only


async def test_many_codes_are_asked_fifty_at_a_time(carrier, sandbox):
    bookings = [ReturnBooking(code=f"KRVBATCH{i:03d}", reference=f"r{i}") for i in range(60)]
    answer = await carrier.track_returns(bookings)
    assert set(answer) == {b.code for b in bookings} and not any(answer.values())
    assert [body.count(b"<fieldValueArray>") for body in reports(sandbox)] == [50, 10]


async def test_an_unexpected_report_error_is_temporary(carrier, sandbox):
    booking = await carrier.book_return(request())
    sandbox.unexpected("listInvDocumentInterfaceByReference")
    with pytest.raises(RemoteUnavailableError):
        await carrier.track_returns([booking])
    assert await carrier.track_returns([booking]) == {booking.code: []}


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=64))
def test_a_return_code_is_a_short_stable_function_of_the_reference(reference):
    code = return_code(reference)
    assert code == return_code(reference) and len(code) == 13 and code.startswith("KRV")
    assert set(code[3:]) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert return_code(reference + "x") != code
