"""The sandbox over raw HTTP: Nebim's paths, answers, error shape and refusals, as documented
in cemyeten/nebim-v3-integrator-docs (see kervan_nebim.sandbox.app for each rule's source)."""

from __future__ import annotations

import copy

import pytest
from kervan_nebim.sandbox import EMPTY_STREAM, NOT_LOGGED_IN, NebimSandbox
from kervan_sdk.sandbox import ErpProduct

LOGIN = {
    "DatabaseName": "KERVANV3",
    "UserGroupCode": "V3",
    "UserName": "INT",
    "Password": "sandbox-secret",
}
ORDER = {  # the shape of examples/Peşin Satış Sipariş R.txt
    "ModelType": 6,
    "CustomerCode": "PM-TY",
    "PosTerminalID": 1,
    "OrderDate": "20190311",
    "OfficeCode": "M01",
    "StoreCode": "M01",
    "StoreWareHouseCode": "M01",
    "IsSalesViaInternet": True,
    "IsCompleted": True,
    "ShipmentMethodCode": 2,
    "DeliveryCompanyCode": "ARAS",
    "OrdersViaInternetInfo": {
        "SalesURL": "www.demoteks.com",
        "PaymentTypeCode": 1,
        "PaymentTypeDescription": "KREDİ KARTI",
        "PaymentAgent": "VERA",
        "PaymentDate": "20190311",
        "SendDate": "20190311",
    },
    "Lines": [{"UsedBarcode": "8695450000643", "PriceVI": 30.00, "Qty1": 1, "LineDescription": ""}],
    "Payments": [
        {
            "PaymentType": 2,
            "CreditCardTypeCode": "AKB",
            "InstallmentCount": 1,
            "CurrencyCode": "TRY",
            "Amount": 30.00,
        }
    ],
}


@pytest.fixture
def sandbox() -> NebimSandbox:
    made = NebimSandbox()
    made.erp_seed_products([ErpProduct("K001", "Kazak", ("8695450000643",))])
    return made


async def session(raw) -> str:
    answer = await raw.request("GET", "/IntegratorService/Connect", json=LOGIN)
    return answer.json()["SessionID"]


async def test_connect_answers_a_session_even_for_wrong_credentials(sandbox):
    async with sandbox.client("http://n") as raw:
        good = await raw.request("GET", "/IntegratorService/Connect", json=LOGIN)
        bad = await raw.request("GET", "/IntegratorService/Connect", json=LOGIN | {"Password": "x"})
        sid = bad.json()["SessionID"]
        info = await raw.get(f"/(S({sid}))/IntegratorService/GetUserInfo")
    for answer in (good, bad):
        body = answer.json()
        assert body["Status"] == "Connection Created Successfully" and body["StatusCode"] == 200
        assert body["ModelType"] == 0 and len(body["SessionID"]) == 24
    assert info.status_code == 500 and set(info.json()) == {
        "ModelType",
        "ExceptionMessage",
        "StackTrace",
    }


async def test_get_user_info_answers_the_documented_fields(sandbox):
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        info = (await raw.get(f"/(S({sid}))/IntegratorService/GetUserInfo")).json()
        wrong_method = await raw.post(f"/(S({sid}))/IntegratorService/GetUserInfo")
    assert {
        "UserGroupCode",
        "UserName",
        "DatabaseName",
        "LangCode",
        "DataLangCode",
        "RecordInfo",
        "IsOfficeUser",
        "IsStoreUser",
        "IsWarehouseUser",
        "CompanyCode",
        "OfficeCode",
        "StoreCode",
        "WarehouseCode",
    } == set(info)
    assert wrong_method.status_code == 405


async def test_token_mode_connects_by_post_and_reads_the_token_header():
    sandbox = NebimSandbox(mode="token")
    async with sandbox.client("http://n") as raw:
        token = (await raw.post("/IntegratorService/Connect", json=LOGIN)).json()["Token"]
        info = await raw.post("/IntegratorService/GetUserInfo", headers={"Token": token})
        none = await raw.post("/IntegratorService/GetUserInfo")
    assert (len(token) == 32 and token.isupper()) or token.isdigit()
    assert info.json()["UserName"] == "INT"
    assert none.json()["ExceptionMessage"] == NOT_LOGGED_IN


async def test_an_idle_session_ends_with_the_empty_stream_error(sandbox):
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        sandbox.clock.advance(19 * 60)
        alive = await raw.get(f"/(S({sid}))/IntegratorService/GetUserInfo")
        sandbox.clock.advance(21 * 60)
        dead = await raw.get(f"/(S({sid}))/IntegratorService/GetUserInfo")
    assert alive.status_code == 200
    assert dead.json()["ExceptionMessage"] == EMPTY_STREAM


async def test_the_documented_retail_order_is_taken_and_echoed_with_numbers(sandbox):
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        answer = await raw.post(f"/(S({sid}))/IntegratorService/Post", json=ORDER)
    body = answer.json()
    assert answer.status_code == 200 and body["OrderNumber"].startswith("1-R-2-")
    assert body["Lines"][0]["LineID"] and body["CustomerCode"] == "PM-TY"


def broken(**changes):
    model = copy.deepcopy(ORDER)
    for path, value in changes.items():
        target = model
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[last] = value
    return model


@pytest.mark.parametrize(
    ("model", "says"),
    [
        (broken(CustomerCode=""), "CustomerCode"),
        (broken(StoreWareHouseCode=None), "StoreWareHouseCode"),
        (broken(Lines__0__ItemCode="K001"), "UsedBarcode cannot be sent"),
        (broken(Lines__0__UsedBarcode="0000000000000"), "barkod"),
        (broken(Payments__0__PaymentType=3), "PaymentType"),
        (broken(Payments__0__CreditCardTypeCode=""), "CreditCardTypeCode"),
        (broken(OrdersViaInternetInfo__SalesURL="https://www.a-very-long-shop-name.com.tr"), "30"),
        (broken(OrdersViaInternetInfo__PaymentTypeCode=9), "GİB"),
        (broken(ShipmentMethodCode=7), "ShipmentMethodCode"),
        (broken(OfficeCode="X9"), "tanımlı değil"),
        (broken(CustomerCode="NOPE"), "müşteri"),
        (broken(PostalAddress={"TaxNumber": "1234567890"}), "CompanyName"),
        (broken(ModelType=999), "ModelType 999"),
    ],
)
async def test_a_model_v3_would_refuse_is_refused_in_nebims_error_shape(sandbox, model, says):
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        answer = await raw.post(f"/(S({sid}))/IntegratorService/Post", json=model)
    body = answer.json()
    assert answer.status_code == 500 and body["ModelType"] == 0
    assert says in body["ExceptionMessage"] and body["StackTrace"]
    assert sandbox.ledger.of_kind("order") == []


async def test_run_query_needs_a_registered_query_and_run_proc_exact_parameters(sandbox):
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        base = f"/(S({sid}))/IntegratorService"
        unknown = await raw.post(f"{base}/RunQuery", json={"ModelType": 32, "QueryName": "X"})
        rows = await raw.post(
            f"{base}/RunQuery",
            json={
                "ModelType": 32,
                "QueryName": "GetProductPriceAndInventory",
                "Skip": 0,
                "Take": 10,
            },
        )
        short = await raw.post(
            f"{base}/RunProc",
            json={"ProcName": "sp_KervanProducts", "Parameters": [{"Name": "Skip", "Value": "0"}]},
        )
        typed = await raw.post(
            f"{base}/RunProc",
            json={
                "ProcName": "sp_KervanProducts",
                "Parameters": [{"Name": "Skip", "Value": 0}, {"Name": "Take", "Value": "5"}],
            },
        )
    assert unknown.json()["ExceptionMessage"] == "Kayıt bulunamadı"
    assert rows.json()[0]["ItemCode"] == "K001"
    assert "expects parameters" in short.json()["ExceptionMessage"]
    assert "strings" in typed.json()["ExceptionMessage"]


async def test_a_return_needs_lines_of_an_invoice_and_cannot_return_more_than_sold(sandbox):
    invoice = {
        k: v
        for k, v in ORDER.items()
        if k not in ("OrdersViaInternetInfo", "StoreWareHouseCode", "OrderDate")
    }
    invoice |= {"ModelType": 8, "WarehouseCode": "M01", "IsSalesViaInternet": False}
    async with sandbox.client("http://n") as raw:
        sid = await session(raw)
        posted = (await raw.post(f"/(S({sid}))/IntegratorService/Post", json=invoice)).json()
        line_id = posted["Lines"][0]["LineID"]
        ret = {
            "ModelType": 0,
            "InvoiceNumber": posted["InvoiceNumber"],
            "InvoiceDate": "2025-09-10",
            "InvoiceTime": "10:20:00",
            "PosTerminalID": 1,
            "WarehouseCode": "M01",
            "StoreCode": "M01",
            "OfficeCode": "M01",
            "CompanyCode": "1",
            "IsCompleted": True,
            "IsReturn": True,
            "ReturnLineInfos": [{"LineID": line_id, "ReturnQty": 1, "ReturnReasonCode": "01"}],
        }
        first = await raw.post(f"/(S({sid}))/InvoiceService/ReturnInvoiceR", json=ret)
        second = await raw.post(f"/(S({sid}))/InvoiceService/ReturnInvoiceR", json=ret)
    assert first.status_code == 200 and first.json()["InvoiceNumber"] != posted["InvoiceNumber"]
    assert "more than is left" in second.json()["ExceptionMessage"]
