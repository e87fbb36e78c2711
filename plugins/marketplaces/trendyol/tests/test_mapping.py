"""Trendyol package JSON → domain Order, for both field generations, and the sandbox inverse."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from kervan import RecordProblem
from kervan.domain import PartyKind, TrackingStatus
from kervan.errors import InvalidResponseError
from kervan_trendyol.mapping import (
    claim_of,
    from_epoch_ms,
    listings_of,
    package_or_problem,
    package_to_order,
)
from kervan_trendyol.sandbox.seed import order_to_package, random_order, tckn, vkn
from stdnum.tr import tckimlik
from stdnum.tr import vkn as stdnum_vkn

SAMPLES = Path(__file__).parents[1] / "kervan_trendyol" / "samples" / "packages.json"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def sample(index: int) -> dict:
    return copy.deepcopy(json.loads(SAMPLES.read_text(encoding="utf-8"))["content"][index])


def to_order(pkg: dict):
    return package_to_order(pkg, tenant_id="t1", connection_id="c9")


def legacy(pkg: dict) -> dict:
    """The same package with Trendyol's pre-2025-12 field names."""
    old = copy.deepcopy(pkg)
    old["id"] = old.pop("shipmentPackageId")
    renames = {
        "packageGrossAmount": "grossAmount",
        "packageSellerDiscount": "totalDiscount",
        "packageTyDiscount": "totalTyDiscount",
        "packageTotalPrice": "totalPrice",
    }
    for new, previous in renames.items():
        old[previous] = old.pop(new)
    for line in old["lines"]:
        line["id"] = line.pop("lineId")
        line["merchantSku"] = line.pop("stockCode")
        line["amount"] = line.pop("lineGrossAmount")
        line["discount"] = line.pop("lineSellerDiscount")
        line["tyDiscount"] = line.pop("lineTyDiscount")
        line["price"] = line.pop("lineUnitPrice")
        line["vatBaseAmount"] = line.pop("vatRate")
        line["productCode"] = line.pop("contentId")
        line["merchantId"] = line.pop("sellerId")
    return old


def test_order_id_is_connection_and_shipment_package_id():
    order = to_order(sample(0))
    assert order.id == "c9:2900000100"
    assert order.package_id == "2900000100"
    assert order.order_number == "10400000700"
    assert order.source == "trendyol"


def test_old_and_new_field_names_map_to_the_same_order():
    for index in range(4):
        new = to_order(sample(index))
        old = to_order(legacy(sample(index)))
        assert old.model_dump() == new.model_dump()


def test_line_takes_gross_unit_price_and_seller_discount_only():
    pkg = sample(0)
    line = pkg["lines"][0]
    line.update(quantity=2, lineGrossAmount=100.0, lineSellerDiscount=20.0, lineTyDiscount=10.0)
    line.update(lineUnitPrice=85.0, vatRate=10)
    order = to_order(pkg)
    mapped = order.lines[0]
    assert mapped.unit_price == Decimal("100.00")
    assert mapped.discount == Decimal("20.00")  # Trendyol pays its own 10.00
    assert mapped.payable == Decimal("180.00")
    assert mapped.vat_rate == Decimal(10)
    assert mapped.sku == line["stockCode"]
    assert mapped.line_id == str(line["lineId"])


def test_net_unit_price_alone_is_grossed_up_with_both_discounts():
    pkg = sample(0)
    line = pkg["lines"][0]
    del line["lineGrossAmount"]
    line.update(quantity=2, lineUnitPrice=85.0, lineSellerDiscount=20.0, lineTyDiscount=10.0)
    assert to_order(pkg).lines[0].unit_price == Decimal("100.00")


def test_floats_become_kurus_decimals():
    pkg = sample(0)
    pkg["lines"][0].update(lineGrossAmount=19.9, lineSellerDiscount=0.1 + 0.2, quantity=1)
    line = to_order(pkg).lines[0]
    assert line.unit_price == Decimal("19.90")
    assert line.discount == Decimal("0.30")


def test_person_with_tckn_keeps_it():
    pkg = sample(0)
    order = to_order(pkg)
    assert order.buyer.kind is PartyKind.PERSON
    assert order.buyer.tax_id == pkg["identityNumber"]
    assert (order.buyer.first_name, order.buyer.last_name) == ("Hülya", "Çelik")


def test_person_without_tckn_gets_gib_placeholder():
    pkg = sample(0)
    del pkg["identityNumber"]
    assert to_order(pkg).buyer.tax_id == "11111111111"


def test_invalid_identity_number_falls_back_to_placeholder():
    pkg = sample(0)
    pkg["identityNumber"] = "12345678901"
    assert to_order(pkg).buyer.tax_id == "11111111111"


def test_commercial_order_is_a_company_with_vkn_and_tax_office():
    pkg = sample(1)
    order = to_order(pkg)
    assert pkg["commercial"] is True
    assert order.buyer.kind is PartyKind.COMPANY
    assert order.buyer.tax_id == pkg["invoiceAddress"]["taxNumber"]
    assert order.buyer.company_name == pkg["invoiceAddress"]["company"]
    assert order.buyer.tax_office == pkg["invoiceAddress"]["taxOffice"]


def test_company_name_without_commercial_flag_stays_a_person():
    pkg = sample(1)
    pkg["commercial"] = False
    assert to_order(pkg).buyer.kind is PartyKind.PERSON


def test_foreign_buyer_gets_foreign_placeholder_and_micro_export():
    pkg = sample(3)
    order = to_order(pkg)
    assert order.buyer.tax_id == "2222222222"
    assert order.micro_export is True
    assert order.shipping_address.country == "AZ"
    assert order.is_export


def test_addresses_map_il_ilce_and_country():
    pkg = sample(0)
    order = to_order(pkg)
    ship = order.shipping_address
    assert (ship.city, ship.district, ship.country) == ("İzmir", "Bornova", "TR")
    assert ship.neighbourhood == "Kazımdirik Mah."
    assert ship.postal_code == "35100"
    assert ship.lines == [pkg["shipmentAddress"]["address1"]]


def test_order_date_is_istanbul_wall_time_and_last_modified_is_utc():
    pkg = sample(0)
    pkg["orderDate"] = int(datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp() * 1000)
    pkg["lastModifiedDate"] = int(datetime(2026, 11, 20, 9, 5, tzinfo=UTC).timestamp() * 1000)
    order = to_order(pkg)
    assert order.ordered_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert order.remote_updated_at == datetime(2026, 11, 20, 9, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "cancelled"),
    [
        ("Created", False),
        ("Picking", False),
        ("Cancelled", True),
        ("UnSupplied", True),
        ("Delivered", False),
        ("UnPacked", False),
    ],
)
def test_remote_status_and_source_cancelled(status, cancelled):
    pkg = sample(0)
    pkg["status"] = status
    order = to_order(pkg)
    assert order.remote_status == status
    assert order.source_cancelled is cancelled


@pytest.mark.parametrize(
    ("status", "tracking"),
    [
        ("AtCollectionPoint", TrackingStatus.OUT_FOR_DELIVERY),
        ("UnDelivered", TrackingStatus.EXCEPTION),
        ("Returned", TrackingStatus.RETURNED),
    ],
)
def test_carrier_end_states_map_to_a_tracking_status_not_a_problem(status, tracking):
    """The states the sandbox clock now produces: an order, never quarantine, not cancelled."""
    pkg = sample(0)
    pkg["status"] = pkg["shipmentPackageStatus"] = status
    for line in pkg["lines"]:
        line["orderLineItemStatusName"] = status
    problem_or_order = package_or_problem(pkg, tenant_id="t1", connection_id="c1")
    assert not isinstance(problem_or_order, RecordProblem)
    assert problem_or_order.carrier_status is tracking
    assert problem_or_order.remote_status == status
    assert problem_or_order.source_cancelled is False


def test_cargo_fields_are_carried():
    pkg = sample(0)
    order = to_order(pkg)
    assert order.cargo_provider == "Trendyol Express Marketplace"
    assert order.cargo_tracking_number == str(pkg["cargoTrackingNumber"])
    pkg["cargoTrackingNumber"] = None
    assert to_order(pkg).cargo_tracking_number is None


def test_package_without_lines_is_an_invalid_response_without_buyer_data():
    pkg = sample(0)
    pkg["lines"] = []
    with pytest.raises(InvalidResponseError) as err:
        to_order(pkg)
    assert "2900000100" in err.value.message
    assert "Çelik" not in err.value.message


def test_generated_tax_ids_pass_the_official_checksums():
    rng = random.Random(3)
    for _ in range(200):
        assert tckimlik.is_valid(tckn(rng))
        assert stdnum_vkn.is_valid(vkn(rng))


@pytest.mark.parametrize("kind", ["person", "company", "foreign"])
def test_sandbox_inverse_mapping_round_trips(kind):
    rng = random.Random(11)
    original = random_order(rng, 5, NOW, kind=kind)
    pkg = order_to_package(
        original,
        package_id=int(original.package_id),
        line_ids=[int(line.line_id) for line in original.lines],
        seller_id=1,
        rng=rng,
        now=NOW,
    )
    back = package_to_order(pkg, tenant_id="sandbox", connection_id="sandbox")
    assert back.lines == original.lines
    assert back.buyer.kind == original.buyer.kind
    assert back.buyer.tax_id == original.buyer.tax_id
    assert back.invoice_address.city == original.invoice_address.city
    assert back.micro_export == original.micro_export
    assert back.total == original.total
    assert abs((back.ordered_at - original.ordered_at).total_seconds()) < 1


def test_claim_maps_one_line_per_claim_item():
    raw = {
        "id": "c-1",
        "claimId": "c-1",
        "orderNumber": "104",
        "claimDate": 1_700_000_000_000,
        "orderShipmentPackageId": 55,
        "customerFirstName": "Ayşe",
        "customerLastName": "Kaya",
        "lastModifiedDate": 1_700_000_100_000,
        "items": [
            {
                "orderLine": {"id": 9, "productName": "Kupa", "barcode": "869", "price": 129.0},
                "claimItems": [
                    {
                        "id": "i-1",
                        "orderLineItemId": 900,
                        "claimItemStatus": {"name": "WaitingInAction"},
                        "customerClaimItemReason": {
                            "id": 401,
                            "name": "Vazgeçtim",
                            "code": "GIVE_UP",
                        },
                        "customerNote": "olmadı",
                    },
                    {
                        "id": "i-2",
                        "orderLineItemId": 901,
                        "claimItemStatus": {"name": "Unresolved"},
                        "customerClaimItemReason": {"externalReasonId": 401, "name": "Vazgeçtim"},
                    },
                ],
            }
        ],
    }
    claim = claim_of(raw, tenant_id="t", connection_id="c")
    assert claim.id == "c:c-1" and claim.package_id == "55" and claim.order_id == "c:55"
    assert [line.id for line in claim.lines] == ["i-1", "i-2"]
    assert {line.order_line_id for line in claim.lines} == {"9"}  # the order's line id
    assert [line.status.value for line in claim.lines] == ["waiting", "disputed"]
    assert {line.reason.code for line in claim.lines} == {"401"}
    assert claim.lines[0].unit_price == Decimal("129.00")
    assert claim.customer_name == "Ayşe Kaya"


def test_v2_product_with_variants_maps_to_listings():
    product = {
        "contentId": 7,
        "title": "Kupa",
        "attributes": [{"attributeName": "Renk", "attributeValue": "Lacivert"}],
        "variants": [
            {
                "variantId": 71,
                "barcode": "869A",
                "stockCode": "KUP-1",
                "attributes": [{"attributeName": "Hacim", "attributeValue": "350 ml"}],
                "stock": {"quantity": 4},
                "price": {"salePrice": 99.9, "listPrice": 129},
            },
        ],
    }
    (listing,) = listings_of(product, tenant_id="t", connection_id="c")
    assert (listing.barcode, listing.sku, listing.title, listing.quantity) == (
        "869A",
        "KUP-1",
        "Kupa",
        4,
    )
    assert listing.attributes == {"Renk": "Lacivert", "Hacim": "350 ml"}
    assert listing.sale_price == Decimal("99.90") and listing.list_price == Decimal("129.00")


def test_flat_v1_product_maps_to_one_listing():
    product = {
        "id": "abc",
        "barcode": "869B",
        "stockCode": "S-2",
        "title": "Çanta",
        "quantity": 3,
        "salePrice": 10,
        "listPrice": 12,
        "attributes": [],
    }
    (listing,) = listings_of(product, tenant_id="t", connection_id="c")
    assert (listing.barcode, listing.sku, listing.quantity, listing.external_id) == (
        "869B",
        "S-2",
        3,
        "abc",
    )


def test_epoch_helpers():
    assert from_epoch_ms(0) is None
    assert from_epoch_ms(1_000) == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
