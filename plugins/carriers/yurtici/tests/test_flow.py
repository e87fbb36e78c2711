from __future__ import annotations

from kervan.domain import TrackingStatus


async def test_book_track_and_deliver_over_simulated_time(carrier, sandbox, clock, make_package):
    package = make_package()
    booking = await carrier.create_shipment(package)
    assert booking.cargo_key == package.cargo_key
    assert booking.tracking_number == package.cargo_key
    assert booking.label.zpl.startswith("^XA")
    assert booking.label.pdf == b"", "the PDF is drawn when first printed, not at booking"
    assert carrier.label_pdf(booking.label).startswith(b"%PDF")
    events = await carrier.track([package.cargo_key])
    assert [e.status for e in events[package.cargo_key]] == [TrackingStatus.CREATED]
    clock.advance(2 * 3600 + 1)
    events = await carrier.track([package.cargo_key])
    assert TrackingStatus.PICKED_UP in [e.status for e in events[package.cargo_key]]
    clock.advance(40 * 3600)
    events = await carrier.track([package.cargo_key])
    statuses = [e.status for e in events[package.cargo_key]]
    assert statuses == [
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
