"""Standard tests for carriers: booking, tracking, cancelling, and returns (``book_return``,
``cancel_return``, ``track_returns``, with the sandbox's ``hand_in_return`` as the buyer)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import ClassVar

import pytest
from kervan import Booking, RemoteRef, ReturnBooking, ReturnRequest
from kervan.domain import Package, TrackingEvent, TrackingStatus
from kervan.errors import RemoteUnavailableError

from ..sandbox import Fault
from .factories import make_package, make_party, make_seller
from .harness import Harness, SuiteConfig


def package(kit: Harness, seed: int = 0) -> Package:
    factory = kit.config.package_factory
    if factory is not None:
        return factory()
    return make_package(seed=seed)


async def book_until_answered(kit: Harness, pkg: Package, attempts: int = 3) -> Booking:
    """What the engine does: book; after a lost answer, book again with the same package."""
    async with kit.connected() as connector:
        for _ in range(attempts - 1):
            try:
                return await connector.create_shipment(pkg)
            except RemoteUnavailableError:
                continue
        return await connector.create_shipment(pkg)


class CarrierContract:
    """What the engine relies on when it books shipments."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_carrier_returns_a_tracking_number_and_label(self, kit: Harness) -> None:
        pkg = package(kit)
        booking = await book_until_answered(kit, pkg)
        assert isinstance(booking, Booking)
        assert booking.cargo_key == pkg.cargo_key
        assert booking.tracking_number.strip(), "no tracking number"
        assert "^XA" in booking.label.zpl and "^XZ" in booking.label.zpl, "label ZPL is not ZPL"
        # the carrier's own PDF, or (a label the connector renders) none yet: the core asks
        # label_pdf for it the first time the label is printed as PDF
        async with kit.connected() as connector:
            pdf = booking.label.pdf or connector.label_pdf(booking.label)
        assert pdf.startswith(b"%PDF"), "label PDF is not a PDF"

    @pytest.mark.asyncio
    async def test_carrier_is_idempotent_on_retry(self, kit: Harness) -> None:
        pkg = package(kit)
        first = await book_until_answered(kit, pkg)
        again = await book_until_answered(kit, pkg)
        assert again.tracking_number == first.tracking_number, "booking twice made two shipments"

    @pytest.mark.asyncio
    async def test_carrier_is_idempotent_when_the_answer_is_lost(self, kit: Harness) -> None:
        pkg = package(kit)
        # the carrier books the shipment but its answer never arrives; the engine retries
        kit.sandbox.faults.add(Fault("timeout", method="POST"))
        first = await book_until_answered(kit, pkg)
        again = await book_until_answered(kit, pkg)
        assert not kit.sandbox.faults.pending(), "the injected timeout was never hit"
        assert again.tracking_number == first.tracking_number

    @pytest.mark.asyncio
    async def test_carrier_gives_different_packages_different_tracking_numbers(
        self, kit: Harness
    ) -> None:
        one = await book_until_answered(kit, make_package(seed=1))
        two = await book_until_answered(kit, make_package(seed=2))
        assert one.tracking_number != two.tracking_number


#: a cargo key no test ever books: a carrier's answer must simply leave it out (or empty)
UNKNOWN_CARGO_KEY = "KITNOSUCHKEY0001"
#: long enough for any carrier's sandbox to deliver a parcel booked now
DELIVERY_WITHIN_S = 4 * 24 * 3600


class TrackingContract:
    """For a carrier that offers ``track``: how the engine follows its parcels."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_carrier_tracks_a_parcel_to_its_delivery(self, kit: Harness) -> None:
        pkg = package(kit)
        await book_until_answered(kit, pkg)
        asked = [pkg.cargo_key, UNKNOWN_CARGO_KEY]
        async with kit.connected() as connector:
            early = await connector.track(asked)
            kit.clock.advance(DELIVERY_WITHIN_S)
            later = await connector.track(asked)
            again = await connector.track([pkg.cargo_key])
        for answer in (early, later, again):
            assert set(answer) <= set(asked), "track answered for cargo keys nobody asked about"
            assert not answer.get(UNKNOWN_CARGO_KEY), "a cargo key never booked has events"
        events = later.get(pkg.cargo_key) or []
        assert events, (
            "four days after booking the parcel has no tracking events: the sandbox must move "
            "parcels along on its clock"
        )
        assert all(isinstance(e, TrackingEvent) and e.at.tzinfo is not None for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events), "events out of time order"
        assert events[-1].status is TrackingStatus.DELIVERED, "the parcel never arrived"
        assert len(early.get(pkg.cargo_key) or []) < len(events)
        assert again[pkg.cargo_key] == events, "the same parcel tracked twice told two histories"


class CancellationContract:
    """For a carrier that offers ``cancel_shipment``: an order cancelled before pickup."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_carrier_cancels_a_parcel_once_however_often_asked(self, kit: Harness) -> None:
        pkg = package(kit)
        await book_until_answered(kit, pkg)
        async with kit.connected() as connector:
            first = await connector.cancel_shipment(pkg.cargo_key)
            # the engine asks again after a crash between the call and its own save
            again = await connector.cancel_shipment(pkg.cargo_key)
        assert isinstance(first, RemoteRef) and isinstance(again, RemoteRef)
        assert not first.already_done, "the first cancellation said it was already done"
        assert again.already_done, "a second cancellation must report already_done, not redo it"


def return_request(seed: int = 0) -> ReturnRequest:
    """A buyer in one of the kit's cities sending one parcel back to the kit's seller."""
    rng = random.Random(4000 + seed)
    buyer = make_party(rng, company=False)
    seller = make_seller()
    assert buyer.address is not None and seller.address is not None
    return ReturnRequest(
        reference=f"kit-claim-{seed}-{rng.randint(10**5, 10**6 - 1)}",
        order_number=f"KIT{rng.randint(10**7, 10**8 - 1)}",
        sender=buyer,
        sender_address=buyer.address,
        receiver=seller,
        receiver_address=seller.address,
        desi=Decimal(2),
        note="Beden uymadı",
    )


async def book_return_until_answered(
    kit: Harness, request: ReturnRequest, attempts: int = 3
) -> ReturnBooking:
    """What the engine does: book the return; after a lost answer, book it again."""
    async with kit.connected() as connector:
        for _ in range(attempts - 1):
            try:
                booking: ReturnBooking = await connector.book_return(request)
                return booking
            except RemoteUnavailableError:
                continue
        booking = await connector.book_return(request)
        return booking


class ReturnsContract:
    """For a carrier that offers ``book_return``: return codes a buyer takes to a branch, and
    the returns desk following the parcels that come back. The sandbox's ``hand_in_return``
    stands for the buyer handing a parcel in."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_carrier_gives_one_return_code_however_often_asked(self, kit: Harness) -> None:
        request = return_request()
        first = await book_return_until_answered(kit, request)
        again = await book_return_until_answered(kit, request)
        assert isinstance(first, ReturnBooking) and first.code.strip(), "no return code"
        assert first.reference == request.reference and again.reference == request.reference
        assert not first.already_existed, "a first booking said it already existed"
        assert again.code == first.code, "booking the same return twice gave two codes"
        assert again.already_existed, "a repeated booking must say already_existed"

    @pytest.mark.asyncio
    async def test_carrier_gives_one_return_code_when_the_answer_is_lost(
        self, kit: Harness
    ) -> None:
        request = return_request(seed=1)
        kit.sandbox.faults.add(Fault("timeout", method="POST"))
        first = await book_return_until_answered(kit, request)
        again = await book_return_until_answered(kit, request)
        assert not kit.sandbox.faults.pending(), "the injected timeout was never hit"
        assert again.code == first.code

    @pytest.mark.asyncio
    async def test_different_returns_get_different_codes(self, kit: Harness) -> None:
        one = await book_return_until_answered(kit, return_request(seed=2))
        two = await book_return_until_answered(kit, return_request(seed=3))
        assert one.code != two.code

    @pytest.mark.asyncio
    async def test_carrier_withdraws_a_return_code_once_however_often_asked(
        self, kit: Harness
    ) -> None:
        booking = await book_return_until_answered(kit, return_request(seed=4))
        async with kit.connected() as connector:
            first = await connector.cancel_return(booking)
            again = await connector.cancel_return(booking)
        assert isinstance(first, RemoteRef) and isinstance(again, RemoteRef)
        assert not first.already_done, "the first withdrawal said it was already done"
        assert again.already_done, "a second withdrawal must report already_done, not redo it"

    @pytest.mark.asyncio
    async def test_returns_desk_follows_a_handed_in_parcel_to_the_seller(
        self, kit: Harness
    ) -> None:
        handed = await book_return_until_answered(kit, return_request(seed=5))
        idle = await book_return_until_answered(kit, return_request(seed=6))
        asked = [handed, idle]
        codes = {handed.code, idle.code}
        async with kit.connected() as connector:
            before = await connector.track_returns(asked)
            kit.sandbox.hand_in_return(handed.code)
            kit.clock.advance(DELIVERY_WITHIN_S)
            later = await connector.track_returns(asked)
            again = await connector.track_returns([handed])
        for answer in (before, later, again):
            assert set(answer) <= codes, "track_returns answered for codes nobody asked about"
        assert not before.get(handed.code) and not before.get(idle.code), (
            "a return code nobody has used yet has tracking events"
        )
        events = later.get(handed.code) or []
        assert events, (
            "four days after the buyer handed the parcel in it has no events: the sandbox must "
            "move a handed-in return along on its clock"
        )
        assert all(isinstance(e, TrackingEvent) and e.at.tzinfo is not None for e in events)
        assert [e.at for e in events] == sorted(e.at for e in events), "events out of time order"
        assert events[-1].status is TrackingStatus.DELIVERED, "the return never reached the seller"
        assert again[handed.code] == events, "the same return tracked twice told two histories"
