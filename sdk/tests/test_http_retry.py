"""Retries, backoff and Retry-After, against a sandbox with injected faults, on simulated time."""

from __future__ import annotations

import email.utils
from datetime import timedelta

import httpx
import pytest
from fastapi import Request
from hypothesis import given
from hypothesis import strategies as st
from kervan.errors import RateLimitedError, RemoteUnavailableError
from kervan_sdk.http import ApiClient, RetryPolicy, parse_retry_after
from kervan_sdk.sandbox import Fault


class Remote(ApiClient):
    remote_name = "echo"


def client(context, **kw) -> Remote:
    return Remote("http://echo.test", context=context, **kw)


async def test_5xx_is_retried_until_success(sandbox, context):
    sandbox.faults.add(Fault("status", status=503, times=2))
    body = await client(context).json("GET", "/items")
    assert body["total"] == 23
    assert [r.status for r in sandbox.requests] == [503, 503, 200]


async def test_backoff_grows_exponentially_without_jitter(sandbox, context):
    sandbox.faults.add(Fault("status", status=502, times=4))
    policy = RetryPolicy(base_delay=0.5, jitter=False)
    await client(context, retry=policy).json("GET", "/items")
    assert sandbox.clock.sleeps == [0.5, 1.0, 2.0, 4.0]


async def test_attempts_are_bounded_and_the_last_error_is_raised(sandbox, context):
    sandbox.faults.add(Fault("status", status=503, times=10))
    with pytest.raises(RemoteUnavailableError) as info:
        await client(context, retry=RetryPolicy(max_attempts=3)).json("GET", "/items")
    assert sandbox.count("GET", "/items") == 3
    assert info.value.status == 503 and info.value.remote == "echo"
    assert "echo answered 503" in str(info.value)


async def test_retry_after_seconds_is_honoured_when_longer_than_backoff(sandbox, context):
    sandbox.faults.add(Fault("rate_limit", retry_after=7))
    await client(context, retry=RetryPolicy(base_delay=0.1)).json("GET", "/items")
    assert sandbox.clock.sleeps == [7.0]


async def test_retry_after_http_date_is_honoured(sandbox, context):
    when = sandbox.clock.now() + timedelta(seconds=12)
    header = email.utils.format_datetime(when, usegmt=True)

    @sandbox.app.get("/dated")
    async def dated():
        from fastapi.responses import JSONResponse

        if sandbox.count("GET", "/dated") == 0:
            return JSONResponse({}, status_code=429, headers={"Retry-After": header})
        return {"ok": True}

    assert await client(context, retry=RetryPolicy(base_delay=0.1)).json("GET", "/dated")
    assert sandbox.clock.sleeps == [pytest.approx(12.0)]


async def test_a_retry_after_beyond_the_cap_raises_rate_limited_at_once(sandbox, context):
    sandbox.faults.add(Fault("rate_limit", retry_after=3600))
    with pytest.raises(RateLimitedError) as info:
        await client(context).json("GET", "/items")
    assert info.value.retry_after == 3600
    assert sandbox.clock.sleeps == []


async def test_rate_limit_exhausting_attempts_carries_retry_after(sandbox, context):
    sandbox.faults.add(Fault("rate_limit", retry_after=2, times=5))
    with pytest.raises(RateLimitedError) as info:
        await client(context, retry=RetryPolicy(max_attempts=2)).json("GET", "/items")
    assert info.value.retry_after == 2


async def test_a_post_is_not_resent_after_a_5xx(sandbox, context):
    sandbox.faults.add(Fault("status", status=500, path="/things"))
    with pytest.raises(RemoteUnavailableError):
        await client(context).json("POST", "/things", json={"ref": "a"})
    assert sandbox.count("POST", "/things") == 1


async def test_a_post_is_not_resent_after_a_timeout_and_the_remote_did_act(sandbox, context):
    sandbox.faults.add(Fault("timeout", path="/things"))
    with pytest.raises(RemoteUnavailableError):
        await client(context).json("POST", "/things", json={"ref": "a"})
    assert len(sandbox.created) == 1  # the timeout lost the answer, not the request


async def test_lookup_before_retry_finds_the_thing_instead_of_resending(sandbox, context):
    api = client(context)
    sandbox.faults.add(Fault("timeout", path="/things"))

    async def lookup():
        response = await api.request("GET", "/things/a", ok={200, 404})
        return response if response.status_code == 200 else None

    response = await api.request("POST", "/things", json={"ref": "a"}, lookup_before_retry=lookup)
    assert response.json() == {"id": 1}
    assert len(sandbox.created) == 1


async def test_lookup_before_retry_that_finds_nothing_lets_the_call_be_resent(sandbox, context):
    api = client(context)
    sandbox.faults.add(Fault("status", status=503, path="/things"))

    async def lookup():
        return None

    response = await api.request("POST", "/things", json={"ref": "b"}, lookup_before_retry=lookup)
    assert response.status_code == 200
    assert len(sandbox.created) == 1 and sandbox.count("POST", "/things") == 2


async def test_a_post_marked_idempotent_is_resent(sandbox, context):
    sandbox.faults.add(Fault("status", status=503, path="/things"))
    await client(context).request("POST", "/things", json={"ref": "c"}, idempotent=True)
    assert sandbox.count("POST", "/things") == 2


async def test_a_post_is_resent_after_429_because_the_remote_did_not_act(sandbox, context):
    sandbox.faults.add(Fault("rate_limit", path="/things", retry_after=1))
    await client(context).request("POST", "/things", json={"ref": "d"})
    assert len(sandbox.created) == 1 and sandbox.count("POST", "/things") == 2


class FlakyConnect(httpx.AsyncBaseTransport):
    """Refuses the first connection, then hands over to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.refused = inner, 0

    async def handle_async_request(self, request):
        if not self.refused:
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_post_is_resent_after_a_connect_error_because_it_never_left(sandbox, context):
    api = client(context, transport=FlakyConnect(sandbox.transport()))
    await api.request("POST", "/things", json={"ref": "e"})
    assert len(sandbox.created) == 1


async def test_a_get_timeout_is_retried(sandbox, context):
    sandbox.faults.add(Fault("timeout", path="/items"))
    body = await client(context, timeout=httpx.Timeout(10, connect=1)).json("GET", "/items")
    assert body["total"] == 23
    assert sandbox.clock.sleeps[0] == 10  # the simulated read timeout elapsed


async def test_latency_beyond_the_read_timeout_is_a_timeout(sandbox, context):
    sandbox.faults.add(Fault("latency", delay=50, path="/things"))
    with pytest.raises(RemoteUnavailableError, match="ReadTimeout"):
        await client(context, timeout=httpx.Timeout(20)).request("POST", "/things", json={})
    assert sandbox.created == []  # latency comes before the remote acts


async def test_latency_within_the_timeout_only_costs_time(sandbox, context):
    sandbox.faults.add(Fault("latency", delay=3))
    await client(context).json("GET", "/items")
    assert sandbox.clock.sleeps == [3]


@given(
    retry=st.integers(min_value=0, max_value=20),
    base=st.floats(min_value=0, max_value=5),
    cap=st.floats(min_value=0, max_value=60),
    after=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
)
def test_delay_is_within_the_backoff_bound_unless_retry_after_is_longer(retry, base, cap, after):
    policy = RetryPolicy(base_delay=base, max_delay=cap)
    delay = policy.delay(retry, after)
    bound = min(cap, base * 2**retry)
    if after is not None and after > bound:
        assert delay == after
    else:
        assert 0 <= delay <= max(bound, after or 0)


def test_parse_retry_after_forms():
    assert parse_retry_after("5") == 5
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past


async def test_an_idempotency_key_makes_a_post_safe_to_resend_and_travels_each_time(
    sandbox, context
):
    seen = []

    @sandbox.app.post("/keyed")
    async def keyed(request: Request):
        seen.append(request.headers.get("idempotency-key"))
        return {"ok": True}

    sandbox.faults.add(Fault("status", status=503, path="/keyed"))
    await client(context).request("POST", "/keyed", json={}, idempotency_key="order-42-invoice")
    assert seen == ["order-42-invoice"]  # the 503 answered before the route; the retry got in
    assert sandbox.count("POST", "/keyed") == 2
