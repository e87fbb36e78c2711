"""Error mapping onto the taxonomy, redaction in logs and errors, hooks, user agent."""

from __future__ import annotations

import logging

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kervan.errors import (
    AuthError,
    ConflictError,
    InvalidResponseError,
    RateLimitedError,
    RemoteRejectedError,
    RemoteUnavailableError,
)
from kervan_sdk.http import ApiClient, BasicAuth, HttpEvent, redact
from kervan_sdk.sandbox import Fault

SECRET = "s3cr3t-api-key-XYZ"


def canned(status: int, body: str = "", headers: dict | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, text=body, headers=headers))


def api(transport, **kw) -> ApiClient:
    class Remote(ApiClient):
        remote_name = "acme"

    return Remote("http://acme.test", transport=transport, secrets=[SECRET], **kw)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, RemoteRejectedError),
        (409, ConflictError),
        (422, RemoteRejectedError),
        (429, RateLimitedError),
        (500, RemoteUnavailableError),
        (503, RemoteUnavailableError),
    ],
)
async def test_statuses_map_onto_the_taxonomy(status, error):
    client = api(canned(status, headers={"Retry-After": "3"}), retry=_no_retry())
    with pytest.raises(error) as info:
        await client.request("GET", "/x")
    assert info.value.status == status and info.value.remote == "acme"


def _no_retry():
    from kervan_sdk.http import NO_RETRY

    return NO_RETRY


async def test_rejection_carries_the_remote_message_and_request_id():
    body = '{"errors": [{"message": "Barcode 123 not found"}]}'
    client = api(canned(400, body, {"x-correlation-id": "corr-9"}))
    with pytest.raises(RemoteRejectedError) as info:
        await client.request("POST", "/x", json={})
    assert info.value.remote_message == "Barcode 123 not found"
    assert info.value.request_id == "corr-9"
    assert str(info.value) == "acme answered 400: Barcode 123 not found"


async def test_a_secret_echoed_by_the_remote_never_reaches_the_error():
    client = api(canned(400, f'{{"message": "bad key {SECRET}"}}'))
    with pytest.raises(RemoteRejectedError) as info:
        await client.request("GET", "/x")
    assert SECRET not in str(info.value) and SECRET not in (info.value.remote_message or "")
    assert SECRET not in repr(info.value.to_dict())


async def test_ok_statuses_are_returned_without_error():
    response = await api(canned(404)).request("GET", "/x", ok={200, 404})
    assert response.status_code == 404


async def test_json_of_a_malformed_body_is_an_invalid_response(sandbox, context):
    sandbox.faults.add(Fault("malformed", path="/items"))
    client = ApiClient("http://echo.test", context=context)
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        await client.json("GET", "/items")


async def test_logs_never_hold_secrets_or_the_authorization_header(caplog):
    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, json={"access_token": "tok-abcdef", "echo": SECRET})
    )
    client = api(transport, auth=BasicAuth("user", SECRET))
    with caplog.at_level(logging.DEBUG, logger="kervan.http"):
        await client.request("POST", "/x", params={"key": SECRET}, json={"password": "pw-12345"})
    text = caplog.text
    assert "→ POST" in text and "← 200" in text
    for leaked in (SECRET, "tok-abcdef", "pw-12345", "Basic "):
        assert leaked not in text


async def test_retry_warnings_carry_no_secret(caplog):
    transport = canned(503, f"down, key={SECRET}")
    client = api(transport, retry=_retry(2), sleep=_no_sleep)
    with (
        caplog.at_level(logging.WARNING, logger="kervan.http"),
        pytest.raises(RemoteUnavailableError) as info,
    ):
        await client.request("GET", f"/x?k={SECRET}")
    assert "retrying" in caplog.text and SECRET not in caplog.text
    assert SECRET not in str(info.value)


def _retry(n):
    from kervan_sdk.http import RetryPolicy

    return RetryPolicy(max_attempts=n)


async def _no_sleep(seconds: float) -> None:
    return None


async def test_metrics_hooks_see_every_attempt(sandbox, context):
    seen: list[HttpEvent] = []
    sandbox.faults.add(Fault("status", status=500))
    client = ApiClient(
        "http://echo.test", context=context, on_request=seen.append, on_response=seen.append
    )
    await client.request("GET", "/items", rate_key="GET /items")
    assert [(e.attempt, e.status) for e in seen] == [(1, None), (1, 500), (2, None), (2, 200)]
    assert all(e.rate_key == "GET /items" for e in seen)


async def test_a_failing_metrics_hook_does_not_break_the_call(sandbox, context):
    def boom(event):
        raise RuntimeError("metrics down")

    client = ApiClient("http://echo.test", context=context, on_response=boom)
    assert (await client.request("GET", "/items")).status_code == 200


async def test_user_agent_is_configurable_and_defaults_from_the_context(sandbox, context):
    default = await ApiClient("http://e.test", context=context).json("GET", "/headers")
    assert default["user-agent"].startswith("Kervan/")
    custom = ApiClient("http://e.test", context=context, user_agent="Acme-Seller/2.0")
    assert (await custom.json("GET", "/headers"))["user-agent"] == "Acme-Seller/2.0"


@given(
    secret=st.text(min_size=4, max_size=30).filter(lambda s: s.strip() == s and s),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_redact_removes_every_occurrence_of_a_secret(secret, before, after):
    text = f"{before}{secret}{after}{secret}"
    assert secret not in redact(text, [secret])
