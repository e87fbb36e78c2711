"""Failed work lands here, in the store, where the API and CLI can list and replay it."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from ..engine.records import DEAD_LETTER
from ..errors import KervanError
from ..store.port import PLATFORM_TENANT, Query, Store

log = logging.getLogger("kervan.jobs")
MAX_RETRIES = 6


UNEXPECTED_RETRIES = 2


def should_retry(retries: int, exc: BaseException) -> bool:
    """Retry what may heal by itself (outages, rate limits); never bad input or a refusal.

    An unexpected exception (a bug, a missing connection) gets two more tries and then waits
    in the dead letters for a person, instead of burning the full backoff ladder.
    """
    if isinstance(exc, KervanError):
        return exc.retryable and retries < MAX_RETRIES
    return retries < UNEXPECTED_RETRIES


def _tenant_of(message: dramatiq.Message) -> str:
    args = message.args
    return str(args[0]) if args else PLATFORM_TENANT


class DeadLetters(Middleware):
    """Record a message whose last attempt failed for good."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is None:
            return
        retries = message.options.get("retries", 0)
        if should_retry(retries, exception):
            return
        record(
            self.store,
            _tenant_of(message),
            message.actor_name,
            list(message.args),
            f"{type(exception).__name__}: {getattr(exception, 'message', exception)}",
            retries,
        )


def record(
    store: Store, tenant_id: str, actor: str, args: list[Any], error: str, retries: int
) -> str:
    key = hashlib.sha256(f"{actor}|{args}".encode()).hexdigest()[:24]
    store.tenant(tenant_id).upsert(
        DEAD_LETTER,
        key,
        {
            "actor": actor,
            "args": args,
            "error": error[:2000],
            "retries": retries,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "replayed": False,
        },
    )
    log.warning("dead letter %s %s: %s", actor, args, error[:300])
    return key


def list_dead(store: Store, tenant_id: str, limit: int = 200) -> list[dict[str, Any]]:
    docs = store.tenant(tenant_id).query(Query(DEAD_LETTER, order_by="-at", limit=limit))
    return [{"id": d.key, **d.body} for d in docs]


def peek(store: Store, tenant_id: str, key: str) -> dict[str, Any] | None:
    doc = store.tenant(tenant_id).get(DEAD_LETTER, key)
    return doc.body if doc else None


def replay(store: Store, jobs: Any, tenant_id: str, key: str) -> dict[str, Any] | None:
    """Enqueue a dead letter again; remove it only once it is back on the queue.

    ``None`` if there is no such letter for this tenant (a letter's first argument is always
    its tenant, so one tenant can never replay another's work).
    """
    item = peek(store, tenant_id, key)
    if item is None or not item["args"] or item["args"][0] != tenant_id:
        return None
    jobs.replay(item["actor"], item["args"])  # raises on an unknown actor; the letter stays
    store.tenant(tenant_id).remove(DEAD_LETTER, key)
    return item
