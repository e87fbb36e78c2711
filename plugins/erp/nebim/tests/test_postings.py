"""What is posted to V3: the sale as an order or an invoice, payments, returns, reversals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from kervan.domain import DocumentKind
from kervan.errors import InvalidInputError, UnsupportedOperationError
from kervan_sdk.testing import make_invoice


def documents(sandbox, kind):
    return [d for d in sandbox.ledger.documents if d.kind == kind]


async def test_an_order_is_a_retail_order_with_the_internet_sale_block(connect, sandbox, invoice):
    ref = await connect(post_as="order").post_invoice(invoice)
    (order,) = documents(sandbox, "order")
    model = order.model
    assert model["ModelType"] == 6 and ref.remote_id == order.number
    assert model["StoreWareHouseCode"] == "M01" and "WarehouseCode" not in model
    info = model["OrdersViaInternetInfo"]
    assert info["SalesURL"] == "www.kervan.demo" and info["PaymentTypeCode"] == 4
    assert model["DocumentNumber"] == invoice.number
    assert model["InternalDescription"] == invoice.uuid
    total = sum(Decimal(str(ln["PriceVI"])) * Decimal(str(ln["Qty1"])) for ln in model["Lines"])
    assert abs(total - invoice.totals.payable) <= Decimal("0.0001") * len(model["Lines"]) * 10


async def test_an_invoice_is_a_retail_invoice(connect, sandbox, invoice):
    await connect(post_as="invoice").post_invoice(invoice)
    (posted,) = documents(sandbox, "invoice")
    assert posted.model["ModelType"] == 8 and posted.model["WarehouseCode"] == "M01"
    assert posted.model["SalesViaInternetInfo"]["PaymentTypeCode"] == 4


async def test_an_e_fatura_buyer_goes_in_the_postal_address_block(connect, sandbox, stocked):
    efatura = stocked(seed=4, kind=DocumentKind.EFATURA)
    await connect().post_invoice(efatura)
    (posted,) = documents(sandbox, "invoice")
    block = posted.model["PostalAddress"]
    buyer = efatura.buyer
    if buyer.kind.value == "company":
        assert block["TaxNumber"] == buyer.tax_id and block["CompanyName"] == buyer.company_name
    else:
        assert block["IdentityNum"] == buyer.tax_id and block["LastName"] == buyer.last_name


async def test_an_e_arsiv_person_sends_no_postal_address(connect, sandbox, stocked):
    earsiv = stocked(seed=3)
    assert earsiv.buyer.kind.value == "person"
    await connect().post_invoice(earsiv)
    assert "PostalAddress" not in documents(sandbox, "invoice")[0].model


async def test_customer_cards_are_not_created_unless_the_tenant_asks(connect, sandbox, invoice):
    await connect().post_invoice(invoice)
    assert documents(sandbox, "customer") == []
    assert documents(sandbox, "invoice")[0].model["CustomerCode"] == "PM-TY"


async def test_a_customer_card_when_asked_is_made_once_and_used(connect, sandbox, stocked):
    nebim = connect(create_customers=True)
    first, second = stocked(seed=3), stocked(seed=3, number="KRV2026000000777")
    second = second.model_copy(update={"uuid": "9b2f6a34-0d3e-4b8e-9f39-2d7cf1a4e001"})
    await nebim.post_invoice(first)
    await nebim.post_invoice(second)
    (card,) = documents(sandbox, "customer")
    assert [d.model["CustomerCode"] for d in documents(sandbox, "invoice")] == [card.number] * 2


async def test_payments_go_in_as_the_tenant_maps_them(connect, sandbox, invoice):
    mapping = {"ODEMEARACISI": {"payment_type": 2, "credit_card_type_code": "AKB"}}
    await connect(payments=mapping).post_invoice(invoice)
    (payment,) = documents(sandbox, "invoice")[0].model["Payments"]
    assert payment["PaymentType"] == 2 and payment["CreditCardTypeCode"] == "AKB"
    assert Decimal(str(payment["Amount"])) == invoice.totals.payable


async def test_an_unmapped_payment_method_posts_no_payment(connect, sandbox, invoice):
    await connect(payments={}).post_invoice(invoice)
    assert documents(sandbox, "invoice")[0].model["Payments"] == []


async def test_payment_closing_posts_the_payout_and_its_deductions_once(connect, sandbox, invoice):
    nebim = connect()
    await nebim.post_invoice(invoice)
    fees = {"commission": Decimal("12.40"), "cargo": Decimal("0")}
    for _ in range(2):
        await nebim.close_payment(invoice, Decimal("100.00"), date(2026, 3, 5), "TY-77", fees)
    (eft,) = documents(sandbox, "payment")
    (charge,) = documents(sandbox, "charge")
    assert eft.model["ModelType"] == 98 and eft.model["Lines"][0]["CurrAccCode"] == "PM-TY"
    assert [ln["CreditAmount"] for ln in charge.model["Lines"]] == [12.4]


async def test_reversing_an_order_cancels_its_lines_and_offsets_its_payment(
    connect, sandbox, invoice
):
    nebim = connect(post_as="order")
    await nebim.post_invoice(invoice)
    await nebim.close_payment(invoice, invoice.totals.payable, date(2026, 3, 5), "TY-9")
    first = await nebim.reverse(invoice, "iptal")
    again = await nebim.reverse(invoice, "iptal")
    (cancel,) = documents(sandbox, "cancel")
    assert cancel.model["ModelType"] == 34 and not first.already_done and again.already_done
    assert sandbox.erp_postings(invoice.uuid)["invoice"] == 0
    assert sandbox.erp_postings("TY-9")["payment"] == 0
    debits = [d for d in documents(sandbox, "charge") if d.model["Lines"][0]["DebitAmount"]]
    assert len(debits) == 1


async def test_a_return_names_v3_lines_and_a_second_claim_is_another_return(
    connect, sandbox, stocked
):
    invoice = stocked(seed=30)
    line = invoice.lines[0]
    nebim = connect()
    await nebim.post_invoice(invoice)
    await nebim.post_return(invoice, {line.id: Decimal(1)}, "claim-A")
    (sale,) = documents(sandbox, "invoice")
    (ret,) = documents(sandbox, "return")
    (info,) = ret.model["ReturnLineInfos"]
    assert info["LineID"] in sale.lines and sale.lines[info["LineID"]]["ours"] == f"KRV:{line.id}"
    assert ret.model["InvoiceNumber"] == sale.number
    if line.quantity > 1:
        await nebim.post_return(invoice, {line.id: Decimal(1)}, "claim-B")
        assert len(documents(sandbox, "return")) == 2


async def test_a_return_before_v3_has_an_invoice_is_refused_clearly(connect, invoice):
    nebim = connect(post_as="order")
    await nebim.post_invoice(invoice)
    with pytest.raises(InvalidInputError, match="no V3 invoice"):
        await nebim.post_return(invoice, {1: Decimal(1)}, "claim-1")


async def test_expense_vouchers_are_unsupported_and_say_why(connect):
    from kervan_sdk.testing.suite_erp import make_voucher

    with pytest.raises(UnsupportedOperationError, match="gider pusulası"):
        await connect().post_expense_voucher(make_voucher(make_invoice()))


async def test_a_line_without_a_barcode_is_refused_before_any_call(connect, sandbox):
    invoice = make_invoice(seed=8)
    bare = invoice.model_copy(
        update={"lines": [invoice.lines[0].model_copy(update={"barcode": None})]}
    )
    with pytest.raises(InvalidInputError, match="UsedBarcode"):
        await connect().post_invoice(bare)
    assert documents(sandbox, "invoice") == []
