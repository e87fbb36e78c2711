"""MNG answers → normalized events and request pieces, from hand-written payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kervan.domain import TrackingStatus as S
from kervan_mng.client import parse_date
from kervan_mng.mapping import city_key, event_status, events, mobile, whole


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ({"eventStatus": "Gönderi Hazırlandı"}, S.CREATED),
        ({"eventStatus": "Transfer_Aşamasında"}, S.IN_TRANSIT),
        ({"eventStatus": "TESLİMAT BİRİMİNE ULAŞTI"}, S.IN_TRANSIT),
        ({"shipmentStatus": "Alıcı_Adresine_Yönlendirildi"}, S.OUT_FOR_DELIVERY),
        ({"shipmentStatusCode": 5}, S.DELIVERED),
        ({"shipmentStatusCode": "6"}, S.EXCEPTION),
        ({"shipmentStatusCode": 7}, S.RETURNED),
        ({"shipmentStatusCode": 8}, S.EXCEPTION),
        ({"eventStatus": "İptal Edildi"}, S.CANCELLED),
        ({"eventStatus": "Something else"}, None),
    ],
)
def test_status_from_code_or_name(event, status):
    assert event_status(event) is status


def test_pickup_is_the_first_movement_beyond_prepared():
    raw = [
        {
            "eventStatus": "Transfer Aşamasında",
            "eventDateTime": "02-03-2026 10:00:00",
            "location": "TRANSFER",
        },
        {"eventStatus": "Gönderi Hazırlandı", "eventDateTime": "01-03-2026 09:00:00"},
        {"eventStatus": "Teslim Edildi", "eventDateTime": "03-03-2026 12:30"},
    ]
    out = events(raw)
    assert [e.status for e in out] == [S.CREATED, S.PICKED_UP, S.IN_TRANSIT, S.DELIVERED]
    assert out[1].at == out[2].at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert out[3].at == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def test_a_cancelled_shipment_was_never_picked_up():
    raw = [
        {"eventStatus": "Gönderi Hazırlandı", "eventDateTime": "01-03-2026 09:00:00"},
        {"eventStatus": "İptal Edildi", "eventDateTime": "01-03-2026 10:00:00"},
    ]
    assert [e.status for e in events(raw)] == [S.CREATED, S.CANCELLED]


def test_dates_in_both_formats_are_turkish_time():
    assert parse_date("10.03.2020 16:05:00") == datetime(2020, 3, 10, 13, 5, tzinfo=UTC)
    assert parse_date("13-02-2019 12:03") == datetime(2019, 2, 13, 9, 3, tzinfo=UTC)
    assert parse_date("2019-02-13") is None


def test_places_and_numbers():
    assert city_key("İSTANBUL  34") == city_key("istanbul") == "istanbul"
    assert city_key("KADIKÖY") == city_key("Kadıköy")
    assert [mobile(p) for p in ("+90 532 123 45 67", "05321234567", "5321234567", "123")] == [
        "5321234567"
    ] * 3 + [None]
    assert (whole(Decimal("0.2")), whole(Decimal("3")), whole(Decimal("3.01"))) == (1, 3, 4)
