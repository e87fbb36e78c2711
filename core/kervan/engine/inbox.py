"""Webhooks: verify, persist the raw payload, then process, so nothing is lost if processing
fails. An unprocessed inbox item is picked up again by :func:`pending`.

A package in a payload that the source could not map is quarantined on its own (as in a poll)
and the payload's other packages are stored; only a payload that cannot be read at all stays
unprocessed with its error."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from ..errors import InvalidResponseError, KervanError, PermissionDeniedError
from ..problems import RecordKind
from ..roles import OrderSource
from ..store.port import Query, TenantStore
from . import quarantine
from .ingest import IngestResult, take
from .records import INBOX, sortable


def receive(
    store: TenantStore,
    source: OrderSource,
    connection_id: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> str:
    """Verify and persist; return the inbox key. Raises PermissionDeniedError if unverified."""
    if not source.verify_webhook(headers):
        raise PermissionDeniedError("webhook credentials do not match this connection")
    key = f"{connection_id}:{hashlib.sha256(body).hexdigest()[:32]}"
    store.upsert(
        INBOX,
        key,
        {
            "connection_id": connection_id,
            "processed": False,
            "received_at": sortable(now),
            "body": body.decode("utf-8", "replace"),
            "error": None,
        },
    )
    return key


def process(store: TenantStore, source: OrderSource, key: str, now: datetime) -> IngestResult:
    """Turn a stored payload into orders (as ingest does); mark it processed or keep the error."""
    result = IngestResult()
    doc = store.get(INBOX, key)
    if doc is None or doc.body["processed"]:
        return result
    connection_id = doc.body["connection_id"]
    try:
        items = source.parse_webhook(doc.body["body"].encode("utf-8"))
        sifter = quarantine.Sifter(store, connection_id, RecordKind.ORDER, now, via="webhook")
        for item in items:
            take(sifter, item, now, result)
    except Exception as exc:
        # a connector that chokes on a malformed payload must not lose it: keep it with why
        error = exc.message if isinstance(exc, KervanError) else f"{type(exc).__name__}: {exc}"
        store.update(INBOX, key, lambda b: {**b, "error": error[:1000]})
        if isinstance(exc, KervanError):
            raise
        raise InvalidResponseError(
            f"webhook payload could not be processed: {error[:300]}"
        ) from exc
    problems = result.problems
    store.update(
        INBOX, key, lambda b: {**b, "processed": True, "error": None, "problems": problems}
    )
    return result


def pending(store: TenantStore, limit: int = 100) -> list[tuple[str, str]]:
    """(inbox key, connection id) of payloads not processed yet."""
    docs = store.query(Query(INBOX, {"processed": False}, limit=limit))
    return [(d.key, d.body["connection_id"]) for d in docs]
