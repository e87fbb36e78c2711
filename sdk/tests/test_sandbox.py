"""The sandbox toolkit: paging faults lose nothing, faults fire as queued, loopback serving."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan_sdk.sandbox import Fault, FaultInjector, Sandbox, SimClock, page_count, paginate


def read_all(sandbox: Sandbox, items: list[int], size: int) -> list[int]:
    """What a client paging by page number up to the advertised page count would see."""
    seen: list[int] = []
    for page in range(page_count(len(items), size)):
        seen += paginate(sandbox, "/orders", items, page, size)
    return seen


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=60),
    size=st.integers(min_value=1, max_value=12),
    faults=st.lists(st.sampled_from(["duplicate_page", "overlap_page"]), min_size=0, max_size=6),
)
def test_paging_faults_repeat_records_but_never_lose_one(total, size, faults):
    sandbox = Sandbox()
    items = list(range(total))
    for kind in faults:
        sandbox.faults.add(Fault(kind, path="/orders"))
    seen = read_all(sandbox, items, size)
    assert set(seen) == set(items)


def test_overlap_repeats_half_a_page_and_duplicate_a_whole_one():
    sandbox = Sandbox()
    items = list(range(12))
    sandbox.faults.add(Fault("overlap_page", path="/orders"))
    assert read_all(sandbox, items, 4) == [0, 1, 2, 3, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    sandbox.faults.add(Fault("duplicate_page", path="/orders"))
    assert read_all(sandbox, items, 4) == [0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    # a fresh pass without faults is clean again
    assert read_all(sandbox, items, 4) == items


def test_faults_fire_the_given_number_of_times_on_matching_requests_only():
    injector = FaultInjector()
    injector.add(kind="status", status=502, path="/orders*", method="GET", times=2)
    assert injector.take(frozenset({"status"}), "POST", "/orders") is None
    assert injector.take(frozenset({"status"}), "GET", "/claims") is None
    assert injector.pending()[0].times == 2
    assert injector.take(frozenset({"status"}), "GET", "/orders/1").status == 502
    assert injector.take(frozenset({"status"}), "GET", "/orders").status == 502
    assert injector.take(frozenset({"status"}), "GET", "/orders") is None
    assert injector.pending() == [] and len(injector.fired) == 2


def test_unknown_fault_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("gremlins")  # type: ignore[arg-type]


async def test_sim_clock_sleep_advances_without_waiting():
    clock = SimClock()
    start = clock.now()
    await clock.sleep(3600)
    assert (clock.now() - start).total_seconds() == 3600 and clock.sleeps == [3600]
    with pytest.raises(ValueError):
        clock.advance(-1)


async def test_in_process_rate_limit_fault_answers_429_with_retry_after(sandbox):
    sandbox.faults.add(Fault("rate_limit", retry_after=4, path="/items"))
    async with sandbox.client() as http:
        response = await http.get("/items")
        assert response.status_code == 429 and response.headers["retry-after"] == "4"
        assert (await http.get("/items")).status_code == 200


async def test_in_process_timeout_lets_the_remote_act_then_raises(sandbox):
    sandbox.faults.add(Fault("timeout", path="/things"))
    async with sandbox.client() as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/things", json={"ref": "x"})
    assert sandbox.created == [{"ref": "x"}]


async def test_malformed_fault_cuts_the_body(sandbox):
    sandbox.faults.add(Fault("malformed", path="/items"))
    async with sandbox.client() as http:
        response = await http.get("/items")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_served_on_loopback_with_faults(sandbox):
    url = sandbox.serve()
    try:
        assert url.startswith("http://127.0.0.1:")
        sandbox.faults.add(Fault("status", status=503, path="/items"))
        assert httpx.get(f"{url}/items").status_code == 503
        assert httpx.get(f"{url}/items").json()["total"] == 23
        sandbox.faults.add(Fault("timeout", path="/items", delay=0.6))
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{url}/items", timeout=0.1)
    finally:
        sandbox.stop()
    assert [r.status for r in sandbox.requests][:2] == [503, 200]


async def test_throttle_enforces_a_remote_limit_and_the_client_honours_it(sandbox, context):
    from kervan_sdk.http import ApiClient

    client = ApiClient("http://echo.test", context=context)
    for _ in range(3):
        assert await client.json("GET", "/limited") == {"ok": True}
    assert [r.status for r in sandbox.requests] == [200, 200, 429, 200]
    assert sandbox.clock.sleeps == [10]  # Retry-After: the oldest call leaves the window
