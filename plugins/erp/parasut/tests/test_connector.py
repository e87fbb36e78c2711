"""What the Paraşüt sink posts, and that it posts each thing once."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.domain import (
    ExpenseVoucher,
    ExpenseVoucherLine,
    Invoice,
    InvoiceLine,
    Party,
    PartyKind,
    Totals,
)
from kervan.domain.money import kurus
from kervan.errors import AuthError, InvalidInputError, RemoteRejectedError
from kervan_parasut import Parasut, ParasutSettings
from kervan_parasut.sandbox import COMPANY_ID, ParasutSandbox
from kervan_sdk.sandbox import ErpProduct, Fault, SimClock
from kervan_sdk.testing import make_invoice, make_products, make_scenario

Connect = Callable[..., Parasut]
#: invoice numbers for the property test's examples (they share one sandbox)
NUMBERS = itertools.count(500)


def sales(sandbox: ParasutSandbox) -> list[dict[str, Any]]:
    """The live sales invoices' attributes."""
    return [
        sandbox.books.invoice_resource(i)["attributes"]
        for i in sandbox.books.invoices.values()
        if not i.deleted
    ]


def token_grants(sandbox: ParasutSandbox) -> int:
    return sandbox.count("POST", "/oauth/token")


def priced(lines: list[tuple[Decimal, Decimal, Decimal, Decimal]], **kw: Any) -> Invoice:
    """The kit's invoice with ``(quantity, unit price, discount, vat rate)`` lines, totals
    computed the e-document's way (VAT per line, rounded half up)."""
    made = []
    for i, (quantity, price, discount, rate) in enumerate(lines, 1):
        extension = kurus(quantity * price) - discount
        made.append(
            InvoiceLine(
                id=i,
                name=f"Ürün {i}",
                quantity=quantity,
                unit_price=price,
                discount=discount,
                line_extension=extension,
                vat_rate=rate,
                vat_amount=kurus(extension * rate / 100),
            )
        )
    base = sum((x.line_extension for x in made), Decimal("0.00"))
    tax = sum((x.vat_amount for x in made), Decimal("0.00"))
    totals = Totals(
        line_extension=base, tax_exclusive=base, tax_total=tax, tax_inclusive=base + tax,
        payable=base + tax,
    )  # fmt: skip
    return make_invoice(**kw).model_copy(update={"lines": made, "totals": totals})


async def test_an_invoice_goes_with_its_series_number_lines_and_discounts(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    invoice = make_invoice(number="KRV2026000000123")
    ref = await connect().post_invoice(invoice)
    (posted,) = sales(sandbox)
    stored = sandbox.books.invoices[str(ref.remote_id)]
    assert (posted["invoice_series"], posted["invoice_id"]) == ("KRV2026", 123)
    assert posted["item_type"] == "invoice" and invoice.uuid in posted["description"]
    assert Decimal(posted["net_total"]) == invoice.totals.tax_inclusive
    assert [d.vat_rate for d in stored.details] == [line.vat_rate for line in invoice.lines]
    assert [d.discount for d in stored.details] == [line.discount for line in invoice.lines]
    assert sandbox.books.contacts[stored.contact_id]["tax_number"] == invoice.buyer.tax_id


async def test_a_return_invoice_is_a_refund(sandbox: ParasutSandbox, connect: Connect) -> None:
    invoice = make_invoice(number="KRV2026000000124").model_copy(update={"type_code": "IADE"})
    await connect().post_invoice(invoice)
    assert [s["item_type"] for s in sales(sandbox)] == ["refund"]


async def test_an_invoice_with_no_number_yet_is_refused_before_any_call(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    invoice = make_invoice().model_copy(update={"number": None})
    with pytest.raises(InvalidInputError, match="no number"):
        await connect().post_invoice(invoice)
    assert sandbox.count("POST", "*sales_invoices") == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5).map(Decimal),
            st.decimals(Decimal("0.01"), Decimal("999.99"), places=2),
            st.sampled_from([Decimal(0), Decimal(1), Decimal(10), Decimal(20)]),
            st.integers(0, 30),
        ),
        min_size=1,
        max_size=4,
    )
)
async def test_parasut_totals_every_invoice_as_the_e_document_does(
    connect: Connect, rows: list[tuple[Decimal, Decimal, Decimal, int]]
) -> None:
    lines = [
        (q, p, kurus(q * p * pct / 100), rate) for q, p, rate, pct in rows
    ]  # a discount of up to 30 % of the line
    invoice = priced(lines, number=f"KRV2026{next(NUMBERS):09d}")
    ref = await connect().post_invoice(invoice)  # refuses when Paraşüt's total differs
    assert ref.remote_id is not None and not ref.already_done


async def test_a_total_paraşüt_computes_differently_is_refused_with_both_figures(
    connect: Connect,
) -> None:
    invoice = priced([(Decimal(1), Decimal("100.00"), Decimal(0), Decimal(20))])
    off = invoice.totals.model_copy(update={"tax_inclusive": Decimal("120.01")})
    with pytest.raises(RemoteRejectedError, match=r"120\.00.*120\.01"):
        await connect().post_invoice(invoice.model_copy(update={"totals": off}))


async def test_buyers_get_one_card_each_found_by_tax_number(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    first, second = make_invoice(seed=1), make_invoice(seed=2)
    await connector.post_invoice(first)
    again = await connector.upsert_customer(first.buyer)
    await connector.post_invoice(second)
    assert again.already_done
    assert len(sandbox.books.contacts) == len({first.buyer.tax_id, second.buyer.tax_id})


def anonymous(email: str | None, first: str = "Ali") -> Party:
    return Party(
        kind=PartyKind.PERSON, tax_id="11111111111", first_name=first, last_name="Kaya", email=email
    )


async def test_buyers_without_a_tckn_are_told_apart_by_email_not_merged(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    a = await connector.upsert_customer(anonymous("a@example.com"))
    b = await connector.upsert_customer(anonymous("b@example.com"))
    a_again = await connector.upsert_customer(anonymous("a@example.com"))
    c = await connector.upsert_customer(anonymous(None, first="Veli"))
    c_again = await connector.upsert_customer(anonymous(None, first="Veli"))
    assert len({a.remote_id, b.remote_id, c.remote_id}) == 3
    assert a_again.remote_id == a.remote_id and c_again.remote_id == c.remote_id
    assert len(sandbox.books.contacts) == 3


async def test_marketplace_cards_put_every_invoice_on_one_contact_made_once(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect(
        customer_cards="marketplace",
        marketplace_contact_name="Trendyol Müşterileri",
        marketplace_tax_number="8590921777",
    )
    for seed in (1, 2, 3):
        await connector.post_invoice(make_invoice(seed=seed))
    (card,) = sandbox.books.contacts.values()
    assert card["name"] == "Trendyol Müşterileri" and card["tax_number"] == "8590921777"
    assert len({i.contact_id for i in sandbox.books.invoices.values()}) == 1


async def test_a_payment_goes_into_the_configured_account_once_per_reference(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    invoice = make_invoice()
    await connector.post_invoice(invoice)
    paid_on = date(2026, 2, 1)
    first = await connector.close_payment(invoice, invoice.totals.payable, paid_on, "PO-1")
    again = await connector.close_payment(invoice, invoice.totals.payable, paid_on, "PO-1")
    (payment,) = sandbox.books.payments.values()
    assert again.already_done and again.remote_id == first.remote_id
    assert (payment.amount, payment.date, payment.account_id) == (
        invoice.totals.payable,
        "2026-02-01",
        "1001",
    )
    assert sales(sandbox)[0]["payment_status"] == "paid"


async def test_a_payment_for_an_invoice_never_posted_says_to_post_it_first(
    connect: Connect,
) -> None:
    invoice = make_invoice()
    with pytest.raises(RemoteRejectedError, match="post the invoice first"):
        await connect().close_payment(invoice, Decimal("1.00"), date(2026, 2, 1), "PO-2")


async def test_reversal_removes_the_payment_then_cancels_the_invoice_keeping_it_on_file(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    invoice = make_invoice()
    await connector.post_invoice(invoice)
    await connector.close_payment(invoice, invoice.totals.payable, date(2026, 2, 1), "PO-3")
    first = await connector.reverse(invoice, "sipariş iptal edildi")
    again = await connector.reverse(invoice, "sipariş iptal edildi")
    assert not first.already_done and again.already_done
    assert [s["item_type"] for s in sales(sandbox)] == ["cancelled"]
    assert not any(p.live for p in sandbox.books.payments.values())
    # posting the cancelled invoice again finds it rather than reusing its number
    assert (await connector.post_invoice(invoice)).already_done
    assert len(sandbox.books.invoices) == 1


async def test_a_return_is_a_refund_of_the_returned_lines_once_per_claim(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    invoice = priced(
        [
            (Decimal(2), Decimal("50.00"), Decimal("10.00"), Decimal(20)),
            (Decimal(1), Decimal("30.00"), Decimal(0), Decimal(10)),
        ]
    )
    await connector.post_invoice(invoice)
    first = await connector.post_return(invoice, {1: Decimal(1)}, "CLM-1", "kusurlu")
    again = await connector.post_return(invoice, {1: Decimal(1)}, "CLM-1", "kusurlu")
    other = await connector.post_return(invoice, {2: Decimal(1)}, "CLM-2")
    refunds = [s for s in sales(sandbox) if s["item_type"] == "refund"]
    assert again.already_done and again.remote_id == first.remote_id
    assert other.remote_id != first.remote_id and len(refunds) == 2
    # one of two units at 45.00 net (90 after the 10.00 discount), 20 % VAT
    assert refunds[0]["net_total"] == "54.00"


async def test_an_expense_voucher_that_shows_its_vat_is_refunded_net_at_the_sales_rate(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    invoice = priced([(Decimal(1), Decimal("100.00"), Decimal(0), Decimal(20))])
    line = ExpenseVoucherLine(
        name="Kupa", quantity=Decimal(1), unit_price=Decimal("120.00"), amount=Decimal("120.00"),
        vat_rate=Decimal(20), net=Decimal("100.00"), vat_amount=Decimal("20.00"),
    )  # fmt: skip
    voucher = ExpenseVoucher(
        id="gp-1", tenant_id="t1", number="GP2026000000001", issued_at=invoice.issued_at,
        seller=invoice.seller, person=anonymous("gp@example.com"), lines=[line],
        total=Decimal("120.00"),
    )  # fmt: skip
    ref = await connect().post_expense_voucher(voucher)
    refund = sandbox.books.invoice_resource(sandbox.books.invoices[str(ref.remote_id)])
    assert refund["attributes"]["item_type"] == "refund"
    assert refund["attributes"]["net_total"] == "120.00"
    assert refund["attributes"]["total_vat"] == "20.00"


async def test_a_return_of_a_line_the_invoice_does_not_have_is_refused(
    connect: Connect,
) -> None:
    connector = connect()
    invoice = make_invoice()
    await connector.post_invoice(invoice)
    with pytest.raises(InvalidInputError, match="no line 99"):
        await connector.post_return(invoice, {99: Decimal(1)}, "CLM-9")


async def test_an_expired_token_is_refreshed_mid_run_without_posting_twice(
    sandbox: ParasutSandbox, clock: SimClock, connect: Connect
) -> None:
    connector = connect()
    invoice = make_invoice()
    await connector.post_invoice(invoice)
    grants = token_grants(sandbox)
    clock.advance(7200)
    await connector.close_payment(invoice, invoice.totals.payable, date(2026, 2, 1), "PO-4")
    assert token_grants(sandbox) == grants + 1  # one refresh grant, no password grant again
    assert (await connector.post_invoice(invoice)).already_done
    assert len(sandbox.books.invoices) == 1 and len(sandbox.books.payments) == 1


async def test_a_token_revoked_by_paraşüt_is_renewed_after_the_401(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    await connector.upsert_customer(make_invoice().buyer)
    sandbox.access_tokens.clear()  # Paraşüt forgot every session
    await connector.post_invoice(make_invoice())
    assert len(sales(sandbox)) == 1
    assert any(r.status == 401 for r in sandbox.requests)


async def test_a_refresh_token_paraşüt_refuses_falls_back_to_the_password(
    sandbox: ParasutSandbox, clock: SimClock, connect: Connect
) -> None:
    connector = connect()
    await connector.upsert_customer(make_invoice().buyer)
    sandbox.refresh_tokens.clear()
    clock.advance(7200)
    await connector.post_invoice(make_invoice())
    assert len(sales(sandbox)) == 1


async def test_wrong_credentials_are_an_auth_error_that_names_no_secret(
    settings: dict[str, Any], connect: Connect
) -> None:
    connector = connect(password="not-the-password-at-all")
    with pytest.raises(AuthError) as info:
        await connector.post_invoice(make_invoice())
    assert "not-the-password-at-all" not in str(info.value) + repr(info.value.to_dict())
    assert settings["client_secret"] not in str(info.value)


async def test_tokens_never_reach_the_logs(
    sandbox: ParasutSandbox, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connector = connect()
    sandbox.faults.add(Fault("status", status=503, path="*/contacts"))
    await connector.post_invoice(make_invoice())
    text = caplog.text
    assert sandbox.access_tokens and sandbox.refresh_tokens and "sales_invoices" in text
    for token in [*sandbox.access_tokens, *sandbox.refresh_tokens]:
        assert token not in text


async def test_the_client_keeps_under_ten_calls_per_ten_seconds(
    sandbox: ParasutSandbox, clock: SimClock, connect: Connect
) -> None:
    connector = connect()
    for seed in range(6):  # each invoice is several calls: well over ten in all
        await connector.post_invoice(make_invoice(seed=seed))
    api = [t for t in sandbox.timeline if t.path.startswith("/v4/")]
    assert len(api) > 20 and not any(t.status == 429 for t in api)
    for i in range(len(api) - 10):
        assert (api[i + 10].at - api[i].at).total_seconds() >= 10


async def test_a_429_from_paraşüt_is_waited_out_and_the_post_lands_once(
    sandbox: ParasutSandbox, clock: SimClock, connect: Connect
) -> None:
    sandbox.faults.add(Fault("rate_limit", method="POST", path="*/sales_invoices", retry_after=7))
    await connect().post_invoice(make_invoice())
    assert len(sales(sandbox)) == 1 and 7 in clock.sleeps


async def test_products_come_one_card_per_code_with_every_barcode_and_stock(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    sandbox.erp_seed_products(
        [
            ErpProduct(
                "KRV-1", "Kupa", ("8690000000011", "8690000000012"), Decimal("49.90"), {"D": 4}
            ),
            ErpProduct(
                "KRV-2", "Tabak", ("8690000000028",), Decimal("19.90"), {"D": 0}, active=False
            ),
        ]
    )
    sandbox.books.products[sandbox.books.new_id()] = {"name": "Kodsuz ürün", "code": ""}
    cards = {c.sku: c for c in [c async for c in connect().pull_products()]}
    assert set(cards) == {"KRV-1", "KRV-2"}
    assert cards["KRV-1"].barcodes == ["8690000000011", "8690000000012"]
    assert cards["KRV-1"].erp_price == Decimal("49.90") and cards["KRV-1"].erp_on_hand == {
        "parasut": 4
    }
    assert cards["KRV-2"].name == "Tabak"  # archived in Paraşüt, still a card


async def test_check_names_a_wrong_company_or_payment_account(
    settings: dict[str, Any], connect: Connect
) -> None:
    good = await connect().check()
    wrong_company = await connect(company_id=COMPANY_ID + 1).check()
    wrong_account = await connect(payment_account_id=77).check()
    assert good.ok
    assert not wrong_company.ok and "company" in wrong_company.message
    assert not wrong_account.ok and "77" in wrong_account.message


def test_marketplace_cards_need_the_cards_name() -> None:
    raw = {
        "company_id": 1, "client_id": "c", "client_secret": "s", "username": "u@x.com",
        "password": "p", "payment_account_id": 1, "customer_cards": "marketplace",
    }  # fmt: skip
    with pytest.raises(InvalidInputError, match="marketplace_contact_name"):
        ParasutSettings.parse(raw)


def test_every_setting_says_what_it_is() -> None:
    for name, field in ParasutSettings.model_fields.items():
        assert field.description, f"{name} has no description"


async def test_an_invoice_whose_answer_is_lost_is_found_not_posted_again(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    connector = connect()
    invoice = make_invoice()
    await connector.upsert_customer(invoice.buyer)  # the token and the card first
    sandbox.faults.add(Fault("timeout", method="POST", path="*/sales_invoices"))
    ref = await connector.post_invoice(invoice)  # the POST landed; its answer did not
    assert ref.already_done and ref.remote_id is not None
    assert len(sales(sandbox)) == 1 and not sandbox.faults.pending()


def test_base_url_is_a_destination_limited_to_parasuts_host() -> None:
    schema = ParasutSettings.model_json_schema()["properties"]
    assert ParasutSettings.destination_fields() == ["base_url"]
    assert schema["base_url"]["x-kervan-destination"] is True
    default = ParasutSettings.model_fields["base_url"].default
    assert default.split("://", 1)[1] in ParasutSettings.allowed_hosts
    assert {schema[name].get("writeOnly") for name in ParasutSettings.secret_fields()} == {True}


def test_the_plugin_registers_its_erp_sink_through_the_hook() -> None:
    import kervan_parasut

    registered: list[type] = []
    kervan_parasut.register_erp_sinks(registered.append)
    assert registered == [Parasut] and Parasut.roles() == ["erp_sink"]


async def test_a_demo_scenarios_products_come_back_as_cards(
    sandbox: ParasutSandbox, connect: Connect
) -> None:
    scenario = make_scenario(products=make_products(6))
    sandbox.seed_scenario(scenario)
    cards = [c async for c in connect().pull_products()]
    assert sorted(c.sku for c in cards) == sorted(p.sku for p in scenario.products)
