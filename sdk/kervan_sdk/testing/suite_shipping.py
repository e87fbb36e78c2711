"""Standard tests for carriers."""

from __future__ import annotations

from typing import ClassVar

import pytest
from kervan import Booking, RemoteRef
from kervan.domain import Package, TrackingEvent, TrackingStatus
from kervan.errors import RemoteUnavailableError

from ..sandbox import Fault
from .factories import make_package
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
        assert booking.label.pdf.startswith(b"%PDF"), "label PDF is not a PDF"

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
