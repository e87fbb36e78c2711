"""``queryShipment`` details → normalized events, from hand-written answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kervan.domain import TrackingStatus as S
from kervan_yurtici.client import Detail
from kervan_yurtici.mapping import event_status, events, parse_local
from lxml import etree

WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def detail(xml: str) -> Detail:
    el = etree.fromstring(f"<shippingDeliveryDetailVO>{xml}</shippingDeliveryDetailVO>")
    return Detail({etree.QName(c).localname: (c.text or "") for c in el if len(c) == 0}, el)


def mapped(xml: str) -> list[tuple[S, datetime]]:
    return [(e.status, e.at) for e in events(detail(xml), lambda what: WHEN)]


def test_not_processed_is_created():
    assert mapped("<cargoKey>K</cargoKey><operationStatus>NOP</operationStatus>") == [
        (S.CREATED, WHEN)
    ]


def test_leaving_nop_is_a_pickup_even_without_history():
    assert mapped("<operationStatus>ISR</operationStatus><docId>123</docId>") == [
        (S.PICKED_UP, WHEN)
    ]


def test_a_doc_id_means_picked_up_whatever_the_status_says():
    assert [s for s, _ in mapped("<operationStatus>NOP</operationStatus><docId>123</docId>")] == [
        S.PICKED_UP
    ]


def test_delivered_is_dated_by_delivery_date_and_time_in_turkish_time():
    xml = (
        "<operationStatus>DLV</operationStatus><docId>1</docId><shippingDeliveryItemDetailVO>"
        "<deliveryDate>20260302</deliveryDate><deliveryTime>143000</deliveryTime>"
        "</shippingDeliveryItemDetailVO>"
    )
    assert mapped(xml)[-1] == (S.DELIVERED, datetime(2026, 3, 2, 11, 30, tzinfo=UTC))


@pytest.mark.parametrize("status", ["CNL", "ISC", "BI"])
def test_cancelled_statuses(status):
    assert [s for s, _ in mapped(f"<operationStatus>{status}</operationStatus>")] == [S.CANCELLED]


def test_returned_by_return_status():
    xml = "<operationStatus>IND</operationStatus><docId>1</docId><shippingDeliveryItemDetailVO><returnStatus>3</returnStatus></shippingDeliveryItemDetailVO>"
    assert [s for s, _ in mapped(xml)] == [S.PICKED_UP, S.IN_TRANSIT, S.RETURNED]


def test_history_events_in_order_with_pickup_dated_by_the_first():
    xml = (
        "<operationStatus>IND</operationStatus><docId>1</docId><shippingDeliveryItemDetailVO>"
        "<invDocCargoVOArray><eventName>Kargo Dağıtıma Çıkarıldı</eventName><eventDate>20260302</eventDate><eventTime>080000</eventTime><unitName>KADIKÖY</unitName></invDocCargoVOArray>"
        "<invDocCargoVOArray><eventName>Kargo Yüklendi</eventName><eventDate>20260301</eventDate><eventTime>180000</eventTime></invDocCargoVOArray>"
        "</shippingDeliveryItemDetailVO>"
    )
    out = events(detail(xml), lambda what: WHEN)
    assert [e.status for e in out] == [S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY]
    assert out[0].at == out[1].at == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert out[2].location == "KADIKÖY"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("Teslim Edildi", S.DELIVERED),
        ("TESLİM EDİLDİ", S.DELIVERED),
        ("Teslim Edilemedi", S.EXCEPTION),
        ("Teslimat Şubesine Ulaştı", S.IN_TRANSIT),
        ("Kargo Teslimata Çıkarıldı", S.OUT_FOR_DELIVERY),
        ("Kargo Kabul Edildi", S.PICKED_UP),
        ("İade Edildi", S.RETURNED),
        ("Hasarlı Kargo", S.EXCEPTION),
        ("Bilinmeyen Bir Olay", S.IN_TRANSIT),
    ],
)
def test_event_names(name, status):
    assert event_status(name) is status


def test_bad_dates_are_ignored():
    assert parse_local("2026-03-01", "10:00") is None
    assert parse_local("20260230", "100000") is None
    assert parse_local("20260301", None) == datetime(2026, 2, 28, 21, 0, tzinfo=UTC)
