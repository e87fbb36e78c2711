"""Chaos: Kervan processes SIGKILLed at random through the whole order-to-cash flow (issue 15).

300 orders on the full auto-approve flow — reserve → classify → invoice → accept at Trendyol →
package → book (Yurtiçi, or record Trendyol's own booking) → the carrier picks up and delivers
on its own time → e-Fatura submitted after pickup — with people (e-Arşiv), companies registered
for e-Fatura and not, buyers abroad (export), and one product sold short (its late orders wait
on hold for stock). Meanwhile the Kervan processes are SIGKILLed at random and started again:

- embedded: the one ``kervan serve`` (API, scheduler, in-process worker) on the SQLite store;
- Redis: two ``kervan worker`` processes; the test process runs the scheduler and reconciler.

Once the run settles (every order delivered with its invoice submitted, or stopped with a
reason), what must hold: every order is booked or later, or explained; one sales invoice per
order, each series numbered 1..n with no gap and no repeat, at Kervan and at Nilvera (one
document per number); one shipment per order, and Yurtiçi holds exactly the parcels Kervan
booked there; stock conserved per product (on_hand + consumed = start, reserved = what orders
hold), and the movement ledger, if the engine keeps one, adds up and has no movement twice.

Knobs (environment): KERVAN_CHAOS_ORDERS (300), KERVAN_CHAOS_KILLS (10 embedded, where each
restart costs seconds of start-up with nothing running; 20 Redis, where the other worker goes on),
KERVAN_CHAOS_SETTLE_S (150: how long to wait after the last kill), KERVAN_CHAOS_SEED (random;
printed, with the kill times, in a failure).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

import pytest
from kervan.jobs import Scheduler
from kervan.store import open_store

from .chaos_checks import check_all, orders_of, settle
from .chaos_world import (
    TENANT,
    Fleet,
    PackingStation,
    World,
    build_world,
    env_int,
    serve_command,
    worker_command,
)

N = env_int("KERVAN_CHAOS_ORDERS", 300)
EMBEDDED_KILLS = env_int("KERVAN_CHAOS_KILLS", 10)
REDIS_KILLS = env_int("KERVAN_CHAOS_KILLS", 20)
SETTLE_S = env_int("KERVAN_CHAOS_SETTLE_S", 150)


def _seed() -> int:
    return int(os.environ.get("KERVAN_CHAOS_SEED") or random.randrange(10**6))


def _states(world: World) -> str:
    counts = Counter(b["state"] for b in orders_of(world.rt.store.tenant(TENANT)).values())
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))


def _chaos(
    world: World, fleet: Fleet, seed: int, kills: int, up_s: tuple[float, float]
) -> list[str]:
    """``kills`` SIGKILLs, each of a random process once it is up (start-up takes seconds on a
    busy machine: a kill then would only test the start), started again at once. Half come a
    random while (``up_s``) later; half within a second after the carrier answered a tracking
    poll, when Kervan writes pickups (stock consumed, e-Fatura released) and deliveries for
    many orders at once. Returns the log of kills (when, whom, how, where the orders stood)."""
    rng = random.Random(seed)
    started, log = time.monotonic(), []
    for _ in range(kills):
        victim = rng.randrange(len(fleet.procs))
        fleet.wait_ready(victim)
        time.sleep(rng.uniform(*up_s))
        how = "at random"
        if rng.random() < 0.5 and world.tracking.wait(timeout_s=8):
            time.sleep(rng.uniform(0.0, 1.0))
            how = "while tracking is applied"
        states = _states(world)
        fleet.restart(victim)
        log.append(f"t={time.monotonic() - started:.1f}s kill #{victim} {how}: {states}")
    return log


def _verdict(world: World, mode: str, seed: int, kills: list[str], started: float) -> None:
    ts = world.rt.store.tenant(TENANT)
    waited, left = settle(ts, N, SETTLE_S)
    took = time.monotonic() - started
    summary = (
        f"{mode}: {N} orders, {len(kills)} kills, seed {seed}; settled in {waited:.0f}s "
        f"after the last kill, {took:.0f}s in all; {_states(world)}"
    )
    print(summary)
    store = open_store(world.store_url)
    try:
        problems = check_all(world, store.tenant(TENANT))
    finally:
        store.close()
    if left:
        problems.insert(
            0, f"{len(left)} orders unfinished after {waited:.0f}s: " + "; ".join(left[:6])
        )
    assert not problems, "\n".join([summary, *problems, "kills:", *kills])


@pytest.mark.timeout(900)
def test_embedded_serve_killed_at_random_loses_no_order_and_does_nothing_twice(
    tmp_path, monkeypatch
):
    seed = _seed()
    world = build_world(tmp_path, N, monkeypatch)
    started = time.monotonic()
    fleet = Fleet(tmp_path, world.env, [serve_command()])
    station = PackingStation(world.rt)
    try:
        kills = _chaos(world, fleet, seed, EMBEDDED_KILLS, (1.0, 6.0))
        _verdict(world, "embedded", seed, kills, started)
    finally:
        station.stop()
        fleet.stop()
        world.close()


@pytest.mark.timeout(900)
def test_redis_workers_killed_at_random_lose_no_order_and_do_nothing_twice(
    tmp_path, monkeypatch, redis_url
):
    seed = _seed()
    url = redis_url  # a database of its own (conftest.py)
    world = build_world(tmp_path, N, monkeypatch)
    world.env["KERVAN_BROKER_URL"] = url
    started = time.monotonic()
    jobs = world.rt.start_jobs(broker_url=url, worker=False, scheduler=False)
    scheduler = Scheduler(
        jobs,
        world.rt.connections,
        lambda key: world.rt.host.connector(key).roles(),
        reconcile_every_s=2,
    )
    scheduler.start(every_s=0.5)
    fleet = Fleet(tmp_path, world.env, [worker_command(), worker_command()])
    station = PackingStation(world.rt)
    try:
        kills = _chaos(world, fleet, seed, REDIS_KILLS, (0.3, 2.5))
        _verdict(world, "redis", seed, kills, started)
    finally:
        station.stop()
        fleet.stop()
        scheduler.stop()
        world.close()
