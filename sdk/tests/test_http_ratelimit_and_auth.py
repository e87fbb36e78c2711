"""Client-side rate limits on simulated time, and bearer-token refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from kervan.errors import AuthError
from kervan_sdk.http import ApiClient, BearerTokenAuth, RateLimit, Token, TokenBucket
from kervan_sdk.sandbox import SimClock


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of timestamps inside any half-open window of ``window`` seconds."""
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t < start + window - 1e-9))
    return best


async def test_trendyol_style_limit_spaces_requests_on_the_sandbox_clock(sandbox, context):
    client = ApiClient("http://echo.test", context=context, rate_limit=RateLimit(50, 10))
    start = sandbox.clock.now()
    stamps = []
    for _ in range(120):
        await client.request("GET", "/items", rate_key="GET /items")
        stamps.append((sandbox.clock.now() - start).total_seconds())
    assert most_in_any_window(stamps, 10) == 50
    assert stamps[49] == 0 and stamps[50] == pytest.approx(10)
    assert stamps[-1] == pytest.approx(20)  # 120 calls = three windows of 50


async def test_each_rate_key_has_its_own_bucket_and_overrides_apply(sandbox, context):
    client = ApiClient(
        "http://echo.test",
        context=context,
        rate_limit=RateLimit(2, 10),
        rate_limits={"GET /headers": RateLimit(1, 60)},
    )
    for _ in range(2):
        await client.request("GET", "/items")
    assert sandbox.clock.slept == 0  # two /items fit in their bucket
    await client.request("GET", "/headers")
    await client.request("GET", "/headers")
    assert sandbox.clock.slept == pytest.approx(60)


@settings(max_examples=40, deadline=None)
@given(
    requests=st.integers(min_value=1, max_value=8),
    per=st.floats(min_value=0.5, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=40),
)
# a window a fraction of a microsecond longer than the clock's step: epoch floats let the
# token back a hair early once
@example(requests=1, per=1.0408900889820227, gaps=[0.0, 1.0408900889820227])
async def test_no_window_ever_holds_more_than_the_limit(requests, per, gaps):
    clock = SimClock()
    bucket = TokenBucket(RateLimit(requests, per), clock.now, clock.sleep)
    start = clock.now()
    stamps = []
    for gap in gaps:
        clock.advance(gap)
        await bucket.acquire()
        stamps.append((clock.now() - start).total_seconds())
    assert most_in_any_window(stamps, per) <= requests


async def test_bearer_token_is_fetched_once_and_reused(sandbox, context):
    calls = []

    async def provider():
        calls.append(1)
        return Token.lasting("good-token-1", 3600, sandbox.clock.now())

    auth = BearerTokenAuth(provider, clock=sandbox.clock.now)
    client = ApiClient("http://echo.test", context=context, auth=auth)
    for _ in range(3):
        assert (await client.json("GET", "/whoami")) == {"me": "seller"}
    assert len(calls) == 1


async def test_bearer_token_is_refreshed_before_it_expires(sandbox, context):
    tokens = iter(["good-token-1", "good-token-1"])

    async def provider():
        return Token.lasting(next(tokens), 600, sandbox.clock.now())

    auth = BearerTokenAuth(provider, clock=sandbox.clock.now, leeway=30)
    client = ApiClient("http://echo.test", context=context, auth=auth)
    await client.json("GET", "/whoami")
    sandbox.clock.advance(timedelta(seconds=580).total_seconds())
    await client.json("GET", "/whoami")
    assert auth.fetches == 2


async def test_a_401_refreshes_the_token_once_and_retries(sandbox, context):
    tokens = iter(["stale-token", "good-token-1"])

    async def provider():
        return next(tokens)

    auth = BearerTokenAuth(provider)
    client = ApiClient("http://echo.test", context=context, auth=auth)
    assert (await client.json("GET", "/whoami")) == {"me": "seller"}
    assert auth.fetches == 2
    assert [r.status for r in sandbox.requests] == [401, 200]


async def test_a_second_401_is_an_auth_error(sandbox, context):
    async def provider():
        return "always-wrong"

    client = ApiClient("http://echo.test", context=context, auth=BearerTokenAuth(provider))
    with pytest.raises(AuthError):
        await client.json("GET", "/whoami")
    assert sandbox.count("GET", "/whoami") == 2


def test_token_repr_hides_the_value():
    assert "sekret-token" not in repr(Token("sekret-token"))


async def test_fetched_tokens_are_redacted_from_logs(sandbox, context, caplog):
    import logging

    async def provider():
        return "good-token-1"

    @sandbox.app.get("/echo-token")
    async def echo():
        return {"youSent": "good-token-1"}

    client = ApiClient("http://echo.test", context=context, auth=BearerTokenAuth(provider))
    with caplog.at_level(logging.DEBUG, logger="kervan.http"):
        await client.json("GET", "/echo-token")
    assert "youSent" in caplog.text and "good-token-1" not in caplog.text
    assert "good-token-1" in client.secrets
