"""Company set-up: the tenant's own aliases and series, shown by company_info() and check()."""

from __future__ import annotations

import json

from kervan.scenario import Scenario
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import Fault, SimClock
from nilvera_testdata import BUYER_VKN, SELLER, SELLER_GB, make_connector


async def test_company_info_reads_aliases_and_series_from_nilvera(connector: Nilvera) -> None:
    info = await connector.company_info()
    assert info["tax_id"] == "4540536920"
    assert info["title"] == "Kervan Demo Ticaret A.Ş."
    assert info["sender_aliases"] == [SELLER_GB]
    assert info["receiver_aliases"] == ["urn:mail:defaultpk@kervan.demo"]
    assert info["default_sender_alias"] == SELLER_GB
    assert [s["name"] for s in info["series"]["efatura"]] == ["KRV", "KRE"]
    assert [s["name"] for s in info["series"]["earsiv"]] == ["KRA", "KRM"]
    assert [s["name"] for s in info["series"]["despatch"]] == ["KRI"]


async def test_series_added_at_nilvera_show_up(sandbox: NilveraSandbox, connector: Nilvera) -> None:
    sandbox.add_series("earchive", "WEB")
    info = await connector.company_info()
    assert [s["name"] for s in info["series"]["earsiv"]] == ["KRA", "KRM", "WEB"]


async def test_check_passes_with_details_for_the_connection_page(connector: Nilvera) -> None:
    result = await connector.check()
    assert result.ok is True
    assert "Kervan Demo Ticaret" in result.message
    assert result.details["sender_aliases"] == [SELLER_GB]
    json.dumps(result.details)  # the API can show it as is


async def test_check_fails_on_a_wrong_key_without_echoing_it(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock, api_key="not-the-key-123")
    result = await conn.check()
    assert result.ok is False
    assert "API key" in result.message
    assert "not-the-key-123" not in result.message
    await conn.aclose()


async def test_check_fails_when_the_configured_sender_alias_is_not_the_accounts(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    conn = make_connector(sandbox, clock, default_sender_alias="urn:mail:other@x.com")
    result = await conn.check()
    assert result.ok is False
    assert "urn:mail:other@x.com" in result.message
    assert result.details["sender_aliases"] == [SELLER_GB]
    await conn.aclose()


async def test_check_does_not_report_no_gb_alias_when_nilvera_does_not_name_one(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    # Production records carry the account type (OZEL) in ``Type``; with alias names that
    # follow no pk/gb convention nothing says which one is the GB, and that is not a failure.
    sandbox.set_company(
        SELLER.tax_id, "Kervan Demo Ticaret A.Ş.", gb="urn:mail:fatura@x.com", pk="urn:mail:a@x.com"
    )
    conn = make_connector(sandbox, clock)
    result = await conn.check()
    assert result.ok is True, result.message
    assert "no GB alias" not in result.message
    assert result.details["sender_aliases"] == []
    await conn.aclose()


async def test_check_fails_for_an_account_with_no_alias_at_all(
    sandbox: NilveraSandbox, clock: SimClock
) -> None:
    sandbox.registry.taxpayers.pop(SELLER.tax_id)
    conn = make_connector(sandbox, clock)
    result = await conn.check()
    assert result.ok is False
    assert "not a registered e-Fatura user" in result.message
    await conn.aclose()


async def test_check_reports_an_outage_instead_of_raising(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.faults.add(Fault("status", path="/general/Company", status=503, times=10))
    result = await connector.check()
    assert result.ok is False
    assert "could not be asked" in result.message


def test_seed_scenario_makes_the_seller_the_account_and_registers_buyers() -> None:
    box = NilveraSandbox()
    scenario = Scenario(
        seller=SELLER,
        registered={BUYER_VKN: "urn:mail:pk@alici.com"},
        seller_aliases=("urn:mail:gb@seller.com", "urn:mail:pk@seller.com"),
    )
    box.seed_scenario(scenario)
    assert box.company["TaxNumber"] == SELLER.tax_id
    assert box.registry.records(BUYER_VKN, "Invoice")[0]["Name"] == "urn:mail:pk@alici.com"
    own = box.registry.taxpayers[SELLER.tax_id].kinds("Invoice")
    assert own == {("urn:mail:gb@seller.com", "GB"), ("urn:mail:pk@seller.com", "PK")}
    settings = box.demo_settings("http://127.0.0.1:9000")
    assert settings["base_url"] == "http://127.0.0.1:9000"
    assert settings["public_pdf_url_template"] == "http://127.0.0.1:9000/public/earchive/{uuid}.pdf"


async def test_sandbox_refuses_a_missing_bearer_token(sandbox: NilveraSandbox) -> None:
    async with sandbox.client() as http:
        assert (await http.get("/general/Company")).status_code == 401
        wrong = await http.get("/general/Company", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
