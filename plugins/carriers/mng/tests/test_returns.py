"""The connector's return orders against the sandbox: booking (and asking again), what is checked
before the call, withdrawing, and the returns desk following the parcel to the seller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan import ReturnRequest
from kervan.domain import Address, Party, PartyKind, TrackingStatus
from kervan.errors import ConflictError, InvalidInputError, RemoteRejectedError
from kervan_mng.returns import reference_id
from kervan_mng.sandbox import MngSandbox
from kervan_sdk.sandbox import Fault

HOUR = 3600


@pytest.fixture
def sandbox(clock) -> MngSandbox:
    return MngSandbox(clock=clock, return_drop_off_after=None)  # buyers act when told


def request(reference: str = "claim-1", **kw: object) -> ReturnRequest:
    buyer = Party(
        kind=PartyKind.PERSON,
        tax_id="11111111111",
        first_name="Ayşe",
        last_name="Yılmaz",
        email="ayse@example.com",
    )
    seller = Party(kind=PartyKind.COMPANY, tax_id="1234567890", company_name="Kervan Demo A.Ş.")
    fields: dict[str, object] = {
        "reference": reference,
        "order_number": "TY-10001",
        "sender": buyer,
        "sender_address": Address(
            lines=["Caferağa Mah. Moda Cad. No:5 D:3"],
            district="Kadıköy",
            city="İstanbul",
            phone="+90 532 123 45 67",
        ),
        "receiver": seller,
        "receiver_address": Address(lines=["Depo Sok. 1"], district="Ataşehir", city="İstanbul"),
        "note": "Beden uymadı",
    }
    fields.update(kw)
    return ReturnRequest(**fields)  # type: ignore[arg-type]


def return_calls(sandbox: MngSandbox) -> list[dict]:
    return [body for _m, name, body in sandbox.calls if name == "createReturnOrder"]


async def test_a_return_order_names_the_buyer_as_shipper_and_gives_a_label_link(carrier, sandbox):
    booking = await carrier.book_return(request(parcels=2))
    assert booking.code == reference_id("claim-1") and booking.reference == "claim-1"
    assert booking.label_url and booking.label_url.startswith("https://mn.tc?rtnid=")
    assert booking.remote_id == sandbox.orders[booking.code].invoice_id
    assert not booking.already_existed and booking.tracking_number is None
    (body,) = return_calls(sandbox)
    assert "recipient" not in body
    shipper = body["shipper"]
    assert (shipper["fullName"], shipper["mobilePhoneNumber"]) == ("Ayşe Yılmaz", "5321234567")
    assert shipper["taxNumber"] == "" and shipper["email"] == "ayse@example.com"
    head = body["order"]
    assert head["referenceId"] == head["barcode"] == booking.code
    assert (head["isCOD"], head["billOfLandingId"], head["description"]) == (
        0,
        "TY-10001",
        "Beden uymadı",
    )
    assert [p["barcode"] for p in body["orderPieceList"]] == [
        f"{booking.code}-1",
        f"{booking.code}-2",
    ]


async def test_asking_again_for_the_same_return_finds_the_order(carrier, sandbox):
    first = await carrier.book_return(request())
    again = await carrier.book_return(request())
    assert again.code == first.code and again.already_existed
    assert again.remote_id == first.remote_id and again.label_url is None
    assert len([o for o in sandbox.orders.values() if o.kind == "return"]) == 1


async def test_a_lost_answer_is_looked_up_before_sending_again(carrier, sandbox):
    sandbox.faults.add(Fault("timeout", path="*createReturnOrder"))
    booking = await carrier.book_return(request())
    assert booking.code in sandbox.orders and len(return_calls(sandbox)) == 1


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (
            {"sender_address": Address(lines=["x" * 251], district="Kadıköy", city="İstanbul")},
            "lines",
        ),
        (
            {
                "sender_address": Address(
                    lines=["Moda"], district="Kadıköy", city="İstanbul", phone="0212 123 45 67 89"
                )
            },
            "phone",
        ),
        (
            {
                "sender": Party(
                    kind=PartyKind.PERSON,
                    tax_id="11111111111",
                    first_name="A",
                    last_name="B",
                    email="a@b",
                )
            },
            "email",
        ),
        (
            {
                "sender": Party(
                    kind=PartyKind.PERSON,
                    tax_id="11111111111",
                    first_name="Ç" * 60,
                    last_name="Ş" * 60,
                )
            },
            "name",
        ),
    ],
    ids=["long-address", "landline", "bad-email", "long-name"],
)
async def test_what_mng_would_refuse_is_refused_before_any_call(carrier, sandbox, change, loc):
    with pytest.raises(InvalidInputError) as info:
        await carrier.book_return(request(**change))
    assert loc in str(info.value.errors[0]["loc"])
    assert sandbox.calls == [] and sandbox.requests == []


async def test_a_place_outside_mng_lists_is_refused_before_the_return_order(carrier, sandbox):
    far = Address(lines=["Moda Cad. 5"], district="Atlantis", city="İstanbul")
    with pytest.raises(InvalidInputError, match="district"):
        await carrier.book_return(request(sender_address=far))
    assert return_calls(sandbox) == []


async def test_a_buyer_without_an_email_gets_the_fallback(carrier, sandbox):
    buyer = Party(kind=PartyKind.PERSON, tax_id="11111111111", first_name="Ali", last_name="Can")
    await carrier.book_return(request(sender=buyer))
    assert return_calls(sandbox)[0]["shipper"]["email"] == carrier.settings.fallback_email


async def test_a_return_is_withdrawn_once_and_only_before_hand_in(carrier, sandbox):
    booking = await carrier.book_return(request("claim-w"))
    assert not (await carrier.cancel_return(booking)).already_done
    assert sandbox.orders[booking.code].deleted
    assert (await carrier.cancel_return(booking)).already_done
    with pytest.raises(ConflictError, match="withdrawn"):
        await carrier.book_return(request("claim-w"))
    handed = await carrier.book_return(request("claim-h"))
    sandbox.hand_in_return(handed.code)
    with pytest.raises(RemoteRejectedError, match="handed the parcel in"):
        await carrier.cancel_return(handed)


async def test_the_returns_desk_sees_the_parcel_from_hand_in_to_the_seller(carrier, sandbox, clock):
    handed, idle = (
        await carrier.book_return(request("claim-a")),
        await carrier.book_return(request("claim-b")),
    )
    assert await carrier.track_returns([handed, idle]) == {handed.code: [], idle.code: []}
    clock.advance(2 * 24 * HOUR)
    sandbox.hand_in_return(handed.code)
    clock.advance(31 * HOUR)
    found = await carrier.track_returns([handed, idle, handed])
    assert found[idle.code] == []
    statuses = [e.status for e in found[handed.code]]
    assert statuses[0] is TrackingStatus.CREATED and statuses[-1] is TrackingStatus.DELIVERED
    assert TrackingStatus.PICKED_UP in statuses
    assert found[handed.code][0].at >= clock.now() - timedelta(hours=31, seconds=1)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=64))
def test_a_return_reference_is_a_short_stable_function_of_ours(reference):
    code = reference_id(reference)
    assert code == reference_id(reference) and len(code) == 16 and code.startswith("RTN")
    assert code == code.upper() and code.isalnum()
    assert reference_id(reference + "x") != code
