"""Redis mode: what a killed worker held comes back soon, on a real Redis."""

from __future__ import annotations

import time

import dramatiq
import pytest
from kervan.jobs.actors import HEARTBEAT_TIMEOUT_MS, make_broker
from kervan.store import open_store

QUEUE = "recovery"


@pytest.fixture
def brokers(tmp_path, redis_url):
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    made: list[dramatiq.Broker] = []

    def new() -> dramatiq.Broker:
        broker, _ = make_broker(redis_url, store)
        broker.declare_queue(QUEUE)
        made.append(broker)
        return broker

    yield new
    for broker in made:
        broker.close()
    store.close()


def test_a_killed_workers_prefetched_message_is_delivered_again_within_seconds(brokers):
    """The first worker takes a message and dies (it never acks, its heartbeat stops). The
    second, idle, must get the message soon after the heartbeat timeout: with dramatiq's
    default maintenance chance (0.1% of commands) this takes minutes, long enough for the
    crash test's orders to miss their deadline."""
    first, second = brokers(), brokers()
    sent = first.enqueue(dramatiq.Message(QUEUE, "process_order", ("t1", "ty:1"), {}, {}))
    taken = next(first.consume(QUEUE, prefetch=1, timeout=100))
    assert taken is not None and taken.message_id == sent.message_id
    died = time.monotonic()  # from here on the first broker sends nothing: no heartbeat

    # idle, fetching about 4 times a second (as two idle workers on their two queues do)
    consumer = second.consume(QUEUE, prefetch=1, timeout=250)
    deadline = died + HEARTBEAT_TIMEOUT_MS / 1000 + 20
    again = None
    while again is None and time.monotonic() < deadline:
        again = next(consumer)
    waited = time.monotonic() - died
    assert again is not None, f"not delivered again within {waited:.0f} s"
    assert again.message_id == sent.message_id
    assert waited >= HEARTBEAT_TIMEOUT_MS / 1000 - 1  # not before the first one counts as dead
    consumer.ack(again)
