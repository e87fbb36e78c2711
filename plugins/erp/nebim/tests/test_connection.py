"""Session and token login, the reconnect when a session ends, and check()."""

from __future__ import annotations

from datetime import date

import pytest
from kervan.errors import RemoteRejectedError, RemoteUnavailableError
from kervan_nebim import Nebim, NebimSettings
from kervan_nebim.sandbox import EMPTY_STREAM, NebimSandbox
from kervan_sdk.sandbox import Fault


async def test_session_mode_puts_the_session_in_the_path(connect, sandbox, invoice):
    await connect().post_invoice(invoice)
    posts = [r.path for r in sandbox.requests if r.path.endswith("/IntegratorService/Post")]
    assert posts and all(p.startswith("/(S(") for p in posts)


async def test_token_mode_sends_the_token_header_and_no_session_segment(clock, context, stock_on):
    sandbox = NebimSandbox(clock=clock, mode="token")
    context.transport = sandbox.transport()
    nebim = Nebim(NebimSettings.parse(sandbox.demo_settings("http://n")), context)
    invoice = stock_on(sandbox, seed=5)
    ref = await nebim.post_invoice(invoice)
    await nebim.aclose()
    assert ref.remote_id and ref.remote_id.startswith("1-R-7-")
    assert not any("(S(" in r.path for r in sandbox.requests)
    assert sandbox.erp_postings(invoice.uuid)["invoice"] == 1


async def test_a_session_that_ends_mid_run_is_reconnected_without_losing_or_doubling(
    connect, sandbox, stocked
):
    invoices = [stocked(seed=s) for s in (11, 12, 13)]
    nebim = connect()
    await nebim.post_invoice(invoices[0])
    sandbox.expire_sessions()  # IIS recycled between two postings
    await nebim.post_invoice(invoices[1])
    await nebim.close_payment(invoices[1], invoices[1].totals.payable, date(2026, 3, 2), "p-1")
    sandbox.clock.advance(21 * 60)  # idle past IIS's 20 minutes
    await nebim.post_invoice(invoices[2])
    for invoice in invoices:  # the engine retries everything after a crash: still once each
        assert (await nebim.post_invoice(invoice)).already_done
    assert [sandbox.erp_postings(inv.uuid)["invoice"] for inv in invoices] == [1, 1, 1]
    assert sandbox.erp_postings("p-1")["payment"] == 1
    assert nebim.client.connects == 3


async def test_the_ended_session_answers_in_nebims_error_shape(connect, sandbox):
    nebim = connect()
    await nebim.client.connect()
    sandbox.expire_sessions()
    path = nebim.client._path("RunQuery", "IntegratorService")
    async with sandbox.client("http://n") as raw:
        answer = await raw.post(path, json={"ModelType": 32, "QueryName": "x"})
    body = answer.json()
    assert set(body) == {"ModelType", "ExceptionMessage", "StackTrace"} and body["ModelType"] == 0
    assert body["ExceptionMessage"] == EMPTY_STREAM


async def test_a_lost_answer_to_post_is_found_by_lookup_not_posted_again(connect, sandbox, invoice):
    nebim = connect()
    sandbox.faults.add(Fault("timeout", method="POST", path="*/IntegratorService/Post"))
    with pytest.raises(RemoteUnavailableError):
        await nebim.post_invoice(invoice)
    assert not sandbox.faults.pending()
    assert sandbox.erp_postings(invoice.uuid)["invoice"] == 1, "V3 took it; the answer was lost"
    assert (await nebim.post_invoice(invoice)).already_done
    assert sandbox.erp_postings(invoice.uuid)["invoice"] == 1


async def test_check_passes_with_right_credentials(connect):
    result = await connect().check()
    assert result.ok and result.details["UserName"] == "INT"


async def test_check_fails_with_wrong_credentials_although_connect_succeeded(connect, sandbox):
    result = await connect(password="wrong-pass").check()
    assert not result.ok
    assert sandbox.connects == 1, "Connect was answered; only GetUserInfo told"
    assert "wrong-pass" not in result.message


async def test_credentials_in_web_config_need_no_body(clock, context):
    sandbox = NebimSandbox(clock=clock, webconfig_login=True)
    context.transport = sandbox.transport()
    raw = sandbox.demo_settings("http://n")
    for key in ("database_name", "user_group_code", "user_name", "password"):
        raw.pop(key)
    nebim = Nebim(NebimSettings.parse(raw), context)
    result = await nebim.check()
    await nebim.aclose()
    assert result.ok


async def test_a_refusal_is_a_rejection_with_nebims_message_and_no_stack_trace(connect):
    from kervan_sdk.testing import make_invoice

    with pytest.raises(RemoteRejectedError) as raised:
        await connect().post_invoice(make_invoice(seed=21))  # its barcodes are not in V3
    assert "barkod bulunamadı" in str(raised.value)
    assert "konum" not in str(raised.value)
