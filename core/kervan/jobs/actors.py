"""The dramatiq actors and how work gets enqueued.

Actors take ids only (tenant, order or connection); the store is the truth. They are declared
per :class:`Jobs` instance on its own broker, never at import time, so importing Kervan
never connects anywhere. What each does is in :mod:`kervan.jobs.work`; where it runs (this
process, or engine processes) is :meth:`Jobs.run`'s choice. Embedded mode (default) runs a
StubBroker with an in-process worker;
Redis mode (``KERVAN_BROKER_URL=redis://...``) lets any number of ``kervan worker`` processes
share the queue. Delivery is at-least-once either way; steps are idempotent, and the
reconciler re-enqueues whatever is due, so a lost message only delays work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from ..engine import Engine
from ..errors import InvalidInputError
from ..store.port import Store
from .deadletters import MAX_RETRIES, DeadLetters, should_retry
from .identity import IdentityKeys, MemoryIdentityKeys, RedisIdentityKeys
from .loop import EngineLoop
from .processes import EngineProcesses
from .work import STAGES

log = logging.getLogger("kervan.jobs")
QUEUE = "kervan"


def job_key(actor: str, args: tuple[Any, ...] | list[Any]) -> str:
    """The identity key of a job: its actor and arguments."""
    return f"{actor}:{':'.join(map(str, args))}"


#: a Redis worker silent this long is taken for dead and its messages are queued again
HEARTBEAT_TIMEOUT_MS = 15_000
#: dramatiq's queue maintenance runs on this many commands in a million (its default: 1,000)
MAINTENANCE_CHANCE = 200_000


def make_broker(url: str | None, store: Store) -> tuple[dramatiq.Broker, IdentityKeys]:
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=600_000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=MAX_RETRIES, min_backoff=500, max_backoff=60_000, retry_when=should_retry
        ),
        DeadLetters(store),
    ]
    if url:
        # A killed worker's messages (running or prefetched) come back once its heartbeat is
        # 15 s old, at the next queue maintenance. Dramatiq runs maintenance on 0.1% of
        # commands by default: an idle worker fetches about once a second per queue, so a
        # lost message could wait many minutes, and its identity key keeps the reconciler
        # from queueing the order again meanwhile (5 minutes). At 20% an idle worker runs it
        # every few seconds; without a dead worker to recover it is two sorted-set range
        # reads inside the same Lua call, cheap enough for a busy one too.
        broker: dramatiq.Broker = RedisBroker(
            url=url,
            middleware=middleware,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_CHANCE,
            namespace="kervan",
        )
        return broker, RedisIdentityKeys(broker.client)  # type: ignore[attr-defined]
    return StubBroker(middleware=middleware), MemoryIdentityKeys()


class Jobs:
    """The actors bound to one broker, plus idempotent enqueue helpers.

    A job's engine work (its :data:`~kervan.jobs.work.STAGES`) runs on ``loop`` in this
    process, or in engine processes when ``processes`` is given
    (:mod:`kervan.jobs.processes`); either way the broker, the identity keys and the
    fan-out of found orders stay here."""

    def __init__(
        self,
        engine: Engine,
        loop: EngineLoop,
        broker_url: str | None = None,
        *,
        processes: EngineProcesses | None = None,
    ) -> None:
        self.engine, self.loop, self.processes = engine, loop, processes
        self.broker, self.identity = make_broker(broker_url, engine.store)
        self.embedded = broker_url is None
        self._worker: dramatiq.Worker | None = None
        self.actors: dict[str, dramatiq.Actor] = {
            name: dramatiq.actor(
                broker=self.broker, actor_name=name, queue_name=QUEUE, max_retries=MAX_RETRIES
            )(self._actor(name))
            for name in STAGES
        }

    # -- enqueue ------------------------------------------------------------------------------

    def send(self, actor: str, *args: Any) -> bool:
        """Enqueue unless the same job (actor + args) is already waiting. True if enqueued.

        The key is claimed for seconds, then held for minutes once the message is queued
        (:mod:`kervan.jobs.identity`): a process killed between the two leaves its order to
        the reconciler within seconds."""
        key = job_key(actor, args)
        token = self.identity.claim(key)
        if token is None:
            return False
        try:
            self.actors[actor].send(*args)
        except BaseException:
            self.identity.release(key)  # or the key would block re-enqueueing until it expires
            raise
        try:
            self.identity.hold(key, token)
        except Exception as exc:  # the job is queued; an unheld key costs one duplicate at most
            log.warning("job %s queued, its identity key not held: %s", key, exc)
        return True

    def enqueue_order(self, tenant_id: str, order_id: str) -> bool:
        return self.send("process_order", tenant_id, order_id)

    # -- actors -------------------------------------------------------------------------------

    def _actor(self, name: str) -> Callable[..., None]:
        def run(*args: Any) -> None:
            self.run(name, *args)

        run.__name__ = run.__qualname__ = name
        return run

    def run(self, actor: str, *args: Any) -> None:
        """One job, as a worker thread runs it: its identity key is released (an event from
        now on queues one follow-up), then its stages run, and the orders each stage found
        are queued before the next stage starts."""
        self.identity.release(job_key(actor, args))
        tenant_id = str(args[0])

        def fan_out(order_ids: list[str]) -> None:
            for oid in order_ids:
                self.enqueue_order(tenant_id, oid)

        if self.processes is not None:
            self.processes.run(actor, args, fan_out)
            return
        for stage in STAGES[actor]:
            ids = self.loop.run(stage(self.engine, *args))
            if ids:
                fan_out(ids)

    # -- workers ------------------------------------------------------------------------------

    def start_worker(self, threads: int = 4) -> dramatiq.Worker:
        worker = dramatiq.Worker(
            self.broker, queues={QUEUE}, worker_threads=threads, worker_timeout=100
        )
        worker.start()
        self._worker = worker
        return worker

    def join(self, timeout_ms: int = 600_000) -> None:
        """Embedded mode: wait until the queue is empty and workers are idle."""
        if not isinstance(self.broker, StubBroker):
            raise RuntimeError("join() is for the embedded broker")
        self.broker.join(QUEUE, timeout=timeout_ms, fail_fast=False)
        if self._worker is not None:
            self._worker.join()

    @property
    def has_worker(self) -> bool:
        """Whether this process started a worker (``kervan serve --no-embedded-worker`` in
        Redis mode leaves the work to ``kervan worker`` processes)."""
        return self._worker is not None

    @property
    def worker_running(self) -> bool:
        """Whether this process runs a worker and all its threads are alive (health checks)."""
        worker = self._worker
        if worker is None:
            return False
        threads = [*worker.workers, *worker.consumers.values()]
        alive = bool(threads) and all(t.is_alive() for t in threads)
        return alive and (self.processes is None or self.processes.running)

    def ping_broker(self, timeout_s: float = 2.0) -> None:
        """Raise if the broker does not answer within ``timeout_s`` (health checks). The
        embedded broker lives in this process; Redis is asked with a PING on a connection of
        its own, so a hung server cannot hold a pooled connection or the caller."""
        if self.embedded:
            return
        import redis

        pool = self.broker.client.connection_pool  # type: ignore[attr-defined]
        kwargs = {
            **pool.connection_kwargs,
            "socket_timeout": timeout_s,
            "socket_connect_timeout": timeout_s,
        }
        probe = redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
        try:
            redis.Redis(connection_pool=probe).ping()
        finally:
            probe.disconnect()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self.processes is not None:  # after the worker: no job waits on a child now
            self.processes.close()
        self.broker.close()

    def replay(self, actor: str, args: list[Any]) -> bool:
        if actor not in self.actors:
            raise InvalidInputError(f"unknown job {actor!r}; known: {sorted(self.actors)}")
        self.identity.release(job_key(actor, args))
        return self.send(actor, *args)


def each_role(roles: list[str]) -> list[Callable[[Jobs, str, str], bool]]:
    """Which polling job a connection gets, by the roles its connector plays."""
    out: list[Callable[[Jobs, str, str], bool]] = []
    if "order_source" in roles or "storefront" in roles:
        out.append(lambda j, t, c: j.send("poll_source", t, c))
        out.append(lambda j, t, c: j.send("sync_claims", t, c))
    if "carrier" in roles:
        out.append(lambda j, t, c: j.send("track_carrier", t, c))
    return out
