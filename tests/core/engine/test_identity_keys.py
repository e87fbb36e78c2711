"""Identity keys: a claim whose message never reached the queue frees within seconds.

A process killed between claiming a job's key and enqueueing its message leaves no message
and a held key. With one five-minute claim, the reconciler could not queue that order again
for five minutes (the Redis crash test's stragglers). The claim now holds for ``claim_s``
until the message is queued, and only then for ``ttl_s``. Memory keys and keys on a real Redis
behave the same.
"""

from __future__ import annotations

import time

import pytest
from kervan.jobs import EngineLoop, Jobs
from kervan.jobs.actors import job_key
from kervan.jobs.identity import IdentityKeys, MemoryIdentityKeys, RedisIdentityKeys

CLAIM_S, TTL_S = 1, 30


@pytest.fixture(params=["memory", "redis"])
def keys(request) -> IdentityKeys:
    if request.param == "memory":
        return MemoryIdentityKeys(ttl_s=TTL_S, claim_s=CLAIM_S)
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    return RedisIdentityKeys(client, ttl_s=TTL_S, claim_s=CLAIM_S)


def test_a_claim_never_followed_by_its_message_frees_after_claim_s(keys):
    assert keys.claim("process_order:t1:ty:1") is not None
    assert keys.claim("process_order:t1:ty:1") is None  # the sender is (still) enqueueing
    time.sleep(CLAIM_S + 0.3)  # the sender died: no hold came
    assert keys.claim("process_order:t1:ty:1") is not None


def test_a_held_claim_outlives_claim_s(keys):
    token = keys.claim("process_order:t1:ty:1")
    assert token is not None
    keys.hold("process_order:t1:ty:1", token)  # the message is queued
    time.sleep(CLAIM_S + 0.3)
    assert keys.claim("process_order:t1:ty:1") is None


def test_hold_leaves_a_later_claim_alone(keys):
    """A worker started on the message (release) and someone claimed the key again before
    the first sender's hold: that hold must not stretch the second, unconfirmed claim."""
    first = keys.claim("k")
    assert first is not None
    keys.release("k")
    second = keys.claim("k")
    assert second is not None and second != first
    keys.hold("k", first)
    time.sleep(CLAIM_S + 0.3)
    assert keys.claim("k") is not None  # the second claim expired as an unconfirmed one


def test_released_keys_are_free_at_once(keys):
    token = keys.claim("k")
    assert token is not None
    keys.hold("k", token)
    keys.release("k")
    assert keys.claim("k") is not None


def test_a_redis_claim_expires_in_redis_not_only_in_our_reading(redis_url):
    """The expiry is Redis's own: the claim's TTL is ``claim_s``, the held key's ``ttl_s``."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = RedisIdentityKeys(client, namespace="ik-test", ttl_s=TTL_S, claim_s=CLAIM_S)
    token = keys.claim("k")
    assert token is not None
    assert 0 < client.ttl("ik-test:k") <= CLAIM_S
    keys.hold("k", token)
    assert CLAIM_S < client.ttl("ik-test:k") <= TTL_S


def test_jobs_send_holds_the_key_while_the_message_waits(engine):
    """Through :meth:`Jobs.send`: a queued message's key outlives ``claim_s`` (no duplicate
    while it waits), and a claim left by a killed sender frees after it."""
    loop = EngineLoop()
    j = Jobs(engine, loop)  # no worker: messages wait in the queue
    j.identity = MemoryIdentityKeys(ttl_s=TTL_S, claim_s=CLAIM_S)
    try:
        assert j.enqueue_order("t1", "ty:x")
        assert j.identity.claim(job_key("process_order", ("t1", "ty:lost"))) is not None
        time.sleep(CLAIM_S + 0.3)
        assert not j.enqueue_order("t1", "ty:x")  # still waiting: not queued twice
        assert j.enqueue_order("t1", "ty:lost")  # the killed sender's claim has lapsed
        assert j.broker.queues["kervan"].qsize() == 2
    finally:
        j.stop()
        loop.stop()
