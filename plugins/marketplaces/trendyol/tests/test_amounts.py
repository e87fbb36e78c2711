"""What Trendyol says is payable, mapped: ``packageTotalPrice`` as ``Order.source_payable``,
seller- and Trendyol-funded discounts per Trendyol's "Discount Representations in the Get
Shipment Packages Service" page, ``agreedDeliveryDate`` as ``ship_by`` and a micro-export
package's ``hsCode`` on its lines."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from decimal import Decimal

from kervan_trendyol.mapping import package_to_order
from kervan_trendyol.sandbox.seed import order_to_package, random_order

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

#: a realistic package (the 2025-12 field names): 2 × a 349.90 shirt with 35.00 seller discount
#: a unit and a 20.00 Trendyol coupon on one unit; 1 × a 1,299.00 kettle (VAT 20) with a 100.00
#: seller discount; a 1 % VAT book with no discount. A personal (commercial=false) package:
#: packageTyDiscount is 0 and the package totals leave the TY discount out.
PACKAGE = {
    "shipmentPackageId": 3_412_345_678,
    "orderNumber": "10876543210",
    "orderDate": 1_795_078_800_000,
    "agreedDeliveryDate": 1_795_294_740_000,
    "lastModifiedDate": 1_795_091_000_000,
    "status": "Created",
    "commercial": False,
    "micro": False,
    "currencyCode": "TRY",
    "customerFirstName": "Ayşe",
    "customerLastName": "Yılmaz",
    "identityNumber": "17291716060",
    "invoiceAddress": {
        "firstName": "Ayşe",
        "lastName": "Yılmaz",
        "address1": "Caferağa Mah. Moda Cd. No: 12 D: 4",
        "city": "İstanbul",
        "district": "Kadıköy",
        "postalCode": "34710",
        "countryCode": "TR",
    },
    "packageGrossAmount": 2038.80,
    "packageSellerDiscount": 170.00,
    "packageTyDiscount": 0.00,
    "packageTotalDiscount": 170.00,
    "packageTotalPrice": 1868.80,
    "discountDisplays": [{"displayName": "Sepette 20 TL Trendyol Kuponu", "discountAmount": 20}],
    "lines": [
        {
            "lineId": 5_001,
            "quantity": 2,
            "barcode": "8690000000011",
            "stockCode": "TSHIRT-M",
            "productName": "Pamuklu Tişört",
            "lineGrossAmount": 349.90,
            "lineSellerDiscount": 70.00,
            "lineTyDiscount": 20.00,
            "lineTotalDiscount": 90.00,
            "lineUnitPrice": 304.90,
            "vatRate": 10,
            "discountDetails": [
                {
                    "lineItemPrice": 294.90,
                    "lineItemSellerDiscount": 35.00,
                    "lineItemTyDiscount": 20.00,
                },
                {
                    "lineItemPrice": 314.90,
                    "lineItemSellerDiscount": 35.00,
                    "lineItemTyDiscount": 0.00,
                },
            ],
        },
        {
            "lineId": 5_002,
            "quantity": 1,
            "barcode": "8690000000028",
            "stockCode": "KETTLE-1",
            "productName": "Kettle 1,7 L",
            "lineGrossAmount": 1299.00,
            "lineSellerDiscount": 100.00,
            "lineTyDiscount": 0.00,
            "lineUnitPrice": 1199.00,
            "vatRate": 20,
            "discountDetails": [
                {
                    "lineItemPrice": 1199.00,
                    "lineItemSellerDiscount": 100.00,
                    "lineItemTyDiscount": 0.00,
                }
            ],
        },
        {
            "lineId": 5_003,
            "quantity": 1,
            "barcode": "9786050000003",
            "stockCode": "BOOK-1",
            "productName": "Roman",
            "lineGrossAmount": 40.00,
            "lineSellerDiscount": 0.00,
            "lineTyDiscount": 0.00,
            "lineUnitPrice": 40.00,
            "vatRate": 1,
            "discountDetails": [
                {"lineItemPrice": 40.00, "lineItemSellerDiscount": 0, "lineItemTyDiscount": 0}
            ],
        },
    ],
}


def to_order(pkg: dict):
    return package_to_order(pkg, tenant_id="t1", connection_id="ty")


def corporate(pkg: dict) -> dict:
    """The same package bought with a corporate invoice: Trendyol then fills packageTyDiscount
    and packageTotalPrice is net of it."""
    out = copy.deepcopy(pkg)
    out["commercial"] = True
    out["invoiceAddress"].update(
        company="Örnek Gıda A.Ş.", taxNumber="3297552117", taxOffice="Beşiktaş"
    )
    out.update(packageTyDiscount=20.00, packageTotalDiscount=190.00, packageTotalPrice=1848.80)
    return out


def test_package_total_price_is_the_source_payable():
    assert to_order(PACKAGE).source_payable == Decimal("1868.80")


def test_trendyols_own_discount_stays_off_a_personal_invoice():
    order = to_order(PACKAGE)
    assert [line.discount for line in order.lines] == [
        Decimal("70.00"),
        Decimal("100.00"),
        Decimal("0.00"),
    ]
    assert order.total == order.source_payable == Decimal("1868.80")


def test_on_a_corporate_package_the_trendyol_discount_is_on_the_invoice():
    order = to_order(corporate(PACKAGE))
    assert order.lines[0].discount == Decimal("90.00")  # 70 seller + 20 Trendyol
    assert order.total == order.source_payable == Decimal("1848.80")


def test_discount_details_are_summed_per_unit_when_line_fields_say_otherwise():
    pkg = copy.deepcopy(PACKAGE)
    # Trendyol's Turkish webhook page calls lineSellerDiscount a unit average; the per-unit
    # entries settle it
    pkg["lines"][0]["lineSellerDiscount"] = 35.00
    assert to_order(pkg).lines[0].discount == Decimal("70.00")


def test_a_package_whose_figures_disagree_maps_both_for_the_check():
    pkg = copy.deepcopy(PACKAGE)
    pkg["packageTotalPrice"] = 1848.80  # net of the coupon on a personal package
    order = to_order(pkg)
    assert order.total == Decimal("1868.80") and order.source_payable == Decimal("1848.80")


def test_a_package_without_a_total_says_nothing():
    pkg = copy.deepcopy(PACKAGE)
    del pkg["packageTotalPrice"]
    assert to_order(pkg).source_payable is None


def test_agreed_delivery_date_is_the_ship_by_time():
    # 1795294740000 ms is 23:59 in Istanbul: a plain UTC epoch, unlike orderDate
    assert to_order(PACKAGE).ship_by == datetime(2026, 11, 21, 20, 59, tzinfo=UTC)


def test_a_micro_export_packages_hs_code_goes_on_its_lines():
    pkg = copy.deepcopy(PACKAGE)
    pkg.update(micro=True, hsCode="610910000011")
    assert {line.hs_code for line in to_order(pkg).lines} == {"610910000011"}
    pkg["micro"] = False
    assert {line.hs_code for line in to_order(pkg).lines} == {None}


def test_the_sandbox_sends_ty_discounts_that_map_back_to_what_it_was_given():
    rng = random.Random(7)
    seen_ty = {"person": 0, "company": 0}
    for i in range(200):
        kind = ("person", "company")[i % 2]
        order = random_order(rng, i, NOW, kind=kind)
        ids = [9_000 + i * 10 + n for n in range(len(order.lines))]
        pkg = order_to_package(
            order, package_id=7_000 + i, line_ids=ids, seller_id=1, rng=rng, now=NOW
        )
        seen_ty[kind] += any(line["lineTyDiscount"] for line in pkg["lines"])
        mapped = to_order(pkg)
        assert [line.discount for line in mapped.lines] == [line.discount for line in order.lines]
        assert mapped.total == mapped.source_payable
        assert Decimal(str(pkg["packageTyDiscount"])) == (
            sum(Decimal(str(line["lineTyDiscount"])) for line in pkg["lines"])
            if kind == "company"
            else 0
        )
    assert seen_ty["person"] > 10 and seen_ty["company"] > 5
