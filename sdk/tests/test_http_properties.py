"""Properties of the retry engine over arbitrary fault sequences, and the client on loopback."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import ConnectorContext
from kervan.errors import KervanError
from kervan_sdk.http import ApiClient, RetryPolicy
from kervan_sdk.sandbox import Fault, SimClock

from .conftest import EchoSandbox

FAULTS = st.sampled_from(
    [
        Fault("status", status=500),
        Fault("status", status=503),
        Fault("rate_limit", retry_after=3),
        Fault("timeout"),
        Fault("latency", delay=100),  # beyond the read timeout: a timeout before the remote acts
    ]
)


def wired(sandbox: EchoSandbox) -> ConnectorContext:
    return ConnectorContext(
        tenant_id="t",
        connection_id="c",
        transport=sandbox.transport(),
        clock=sandbox.clock.now,
        sleep=sandbox.clock.sleep,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faults=st.lists(FAULTS, max_size=6), attempts=st.integers(min_value=1, max_value=6))
async def test_a_get_succeeds_iff_the_faults_fit_in_its_attempts(faults, attempts):
    sandbox = EchoSandbox()
    for fault in faults:
        sandbox.faults.add(fault)
    client = ApiClient("http://e.test", context=wired(sandbox), retry=RetryPolicy(attempts))
    try:
        await client.json("GET", "/items")
        succeeded = True
    except KervanError as exc:
        succeeded = False
        assert exc.retryable
    assert succeeded == (len(faults) < attempts)
    assert len(sandbox.faults.fired) == min(len(faults), attempts)
    # every wait honoured the Retry-After of a 429 before it
    assert all(
        s >= 3
        for s, f in zip(sandbox.clock.sleeps, _waits(faults), strict=False)
        if f == "rate_limit"
    )


def _waits(faults: list[Fault]) -> list[str]:
    """The fault behind each sleep: timeouts sleep the read timeout first, then the backoff."""
    kinds = []
    for fault in faults:
        if fault.kind in ("timeout", "latency"):
            kinds.append("read-timeout")
        kinds.append(fault.kind)
    return kinds


@settings(max_examples=40, deadline=None)
@given(fault=FAULTS)
async def test_a_post_reaches_the_remote_at_most_once_without_a_lookup(fault):
    sandbox = EchoSandbox()
    sandbox.faults.add(fault)
    client = ApiClient("http://e.test", context=wired(sandbox))
    with contextlib.suppress(KervanError):
        await client.request("POST", "/things", json={"ref": "x"})
    # re-sent only after a 429 (never acted on); a lost answer means it was acted on once;
    # a 5xx or a timeout before the remote acted leaves nothing, and nothing is re-sent
    expected = 1 if fault.kind in ("rate_limit", "timeout") else 0
    assert len(sandbox.created) == expected
    arrived = {"rate_limit": 2, "latency": 0}.get(fault.kind, 1)  # latency: timed out en route
    assert sandbox.count("POST", "/things") == arrived


async def _no_sleep(seconds: float) -> None:
    return None


async def test_the_client_retries_against_a_sandbox_served_on_loopback():
    sandbox = EchoSandbox(clock=SimClock())
    url = sandbox.serve()
    try:
        sandbox.faults.add(Fault("status", status=502, times=2))
        client = ApiClient(url, sleep=_no_sleep)
        assert (await client.json("GET", "/items"))["total"] == 23
        await client.aclose()
    finally:
        sandbox.stop()
    assert [r.status for r in sandbox.requests] == [502, 502, 200]


def test_sleeping_on_the_sim_clock_takes_no_real_time():
    import time

    clock = SimClock()
    started = time.perf_counter()
    import asyncio

    asyncio.run(clock.sleep(86_400))
    assert time.perf_counter() - started < 1 and clock.slept == 86_400
    with pytest.raises(ValueError):
        SimClock(start=clock.now().replace(tzinfo=None))
