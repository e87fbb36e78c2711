"""Transactions of the Couchbase adapter: optimistic, validated, applied in one SDK transaction.

The port's transaction is a ``with`` block of ordinary code, but a Couchbase transaction is a
callback the SDK may run several times. So the block works on a :class:`Pending` record: reads
go to KV and remember the CAS they saw, writes and counter increments are buffered (reads see
them). On leaving the block, one ``cluster.transactions.run(logic)`` re-reads everything that
was read, and if any of it changed it fails with :class:`CasMismatch` (retryable: the engine's
steps are idempotent and simply run again); otherwise it applies the buffered writes together
with the maintained index and directory documents and the counters. ``logic`` depends only on
the buffer, so the SDK can re-run it safely after a write-write conflict.

Every document write of the adapter goes through here, so index documents are always changed
in the same transaction as the document they describe.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from couchbase.exceptions import CouchbaseException, DocumentNotFoundException

from . import couchbase_keys as ck
from .checks import UNINDEXED, check_key, check_kind, dumps, extract, spec_of
from .port import CasMismatch, Doc, DocumentExists, DocumentNotFound, StoreError, Transaction

if TYPE_CHECKING:
    from .couchbase import CouchbaseStore


@dataclass
class Pending:
    """What a transaction block read (with CAS) and wants to write."""

    reads: dict[tuple[str, str], int | None] = field(default_factory=dict)
    counter_reads: dict[str, int | None] = field(default_factory=dict)
    #: (kind, key) → (body, revision), or None to remove
    writes: dict[tuple[str, str], tuple[dict[str, Any], int] | None] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


def next_revision(previous: int) -> int:
    """The CAS the port sees for a new version: nanoseconds since the epoch, and always above
    the version it replaces. Chosen by the writer, it is known as soon as a write is staged
    (the engine reads ``tx.replace(...).cas`` inside the block), unlike the server's CAS,
    which the SDK does not report after a transaction commits; being time-based, a document
    removed and created again does not get an old value back."""
    return max(time.time_ns(), previous + 1)


class CouchbaseTransaction(Transaction):
    """The block's view: KV reads recorded, writes buffered (see module docstring)."""

    def __init__(self, store: CouchbaseStore, tenant_id: str) -> None:
        self.store, self.tenant_id = store, tenant_id
        self.pending = Pending()

    def get(self, kind: str, key: str) -> Doc | None:
        if (kind, key) in self.pending.writes:
            staged = self.pending.writes[(kind, key)]
            return None if staged is None else Doc(kind, key, copy.deepcopy(staged[0]), staged[1])
        doc = self.store.kv_get(self.tenant_id, check_kind(kind), check_key(key))
        self.pending.reads.setdefault((kind, key), None if doc is None else doc.cas)
        return doc

    def _stage(self, kind: str, key: str, body: dict[str, Any] | None, prev: Doc | None) -> Doc:
        if body is None:
            self.pending.writes[(kind, key)] = None
            return Doc(kind, key, {}, 0)
        body = _loads(dumps(kind, key, body))  # a private copy, JSON-checked now
        revision = next_revision(prev.cas if prev is not None else 0)
        self.pending.writes[(kind, key)] = (body, revision)
        return Doc(kind, key, copy.deepcopy(body), revision)

    def insert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        if self.get(kind, key) is not None:
            self._raise_if_stale(f"{kind} {key} exists")
            raise DocumentExists(f"{kind} {key} already exists")
        return self._stage(kind, key, body, None)

    def _raise_if_stale(self, what: str) -> None:
        """An optimistic block may act on reads another transaction has since overtaken (two
        blocks both took counter value n, the other committed ``inv-n`` first). Then the
        surprise is a conflict to retry, not a real error: raise CasMismatch as commit would."""
        for (kind, key), cas in self.pending.reads.items():
            doc = self.store.kv_get(self.tenant_id, kind, key)
            if (None if doc is None else doc.cas) != cas:
                raise CasMismatch(f"{what}: {kind} {key} changed since this transaction read it")
        for name, value in self.pending.counter_reads.items():
            if self.store.counter_value(self.tenant_id, name) != value:
                raise CasMismatch(f"{what}: counter {name} moved since this transaction read it")

    def replace(self, kind: str, key: str, body: dict[str, Any], cas: int | None = None) -> Doc:
        return self._stage(kind, key, body, self._current(kind, key, cas))

    def upsert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        # reading first also remembers the base, so a concurrent change is detected
        return self._stage(kind, key, body, self.get(kind, key))

    def remove(self, kind: str, key: str, cas: int | None = None) -> None:
        self._stage(kind, key, None, self._current(kind, key, cas))

    def _current(self, kind: str, key: str, cas: int | None) -> Doc:
        doc = self.get(kind, key)
        if doc is None:
            self._raise_if_stale(f"{kind} {key} is gone")
            raise DocumentNotFound(f"{kind} {key} not found")
        if cas is not None and doc.cas != cas:
            raise CasMismatch(f"{kind} {key} changed since it was read")
        return doc

    def counter(self, name: str, delta: int = 1, initial: int = 0) -> int:
        if not isinstance(name, str) or not name or "::" in name:
            raise StoreError("a counter needs a non-empty name without '::'")
        if name in self.pending.counters:
            current: int | None = self.pending.counters[name]
        else:
            current = self.store.counter_value(self.tenant_id, name)
            self.pending.counter_reads.setdefault(name, current)
        value = (initial if current is None else current) + delta
        if value < 0:
            raise StoreError("Couchbase counters cannot go below zero")
        self.pending.counters[name] = value
        return value


def _loads(text: str) -> dict[str, Any]:
    import json

    body: dict[str, Any] = json.loads(text)
    return body


class _Conflict(Exception):
    pass


def commit(store: CouchbaseStore, tenant: str, pending: Pending) -> None:
    """Apply a block's buffered writes in one SDK transaction (see module docstring)."""
    if not pending.writes and not pending.counters:
        return  # read-only: nothing to validate against
    raised: list[BaseException] = []

    def logic(ctx: Any) -> None:
        try:
            _validate(ctx, store, tenant, pending)
            for (kind, key), staged in pending.writes.items():
                _write(ctx, store, tenant, kind, key, staged)
            for name, value in pending.counters.items():
                _put(ctx, store.coll(ck.COUNTERS), ck.doc_key(tenant, name), value)
            store.register_tenant(ctx, tenant)
        except BaseException as exc:
            raised.append(exc)
            raise

    try:
        store.cluster.transactions.run(logic)
    except Exception as exc:
        cause = raised[-1] if raised else None
        if isinstance(cause, _Conflict):
            raise CasMismatch(
                "a document or counter read in this transaction changed before it committed; "
                "run the step again"
            ) from None
        if isinstance(cause, StoreError):
            raise cause from None
        raise store.unavailable(exc) from None


def tx_get(ctx: Any, coll: Any, key: str) -> Any:
    try:
        return ctx.get(coll, key)
    except DocumentNotFoundException:
        return None


def _put(ctx: Any, coll: Any, key: str, value: Any) -> None:
    current = tx_get(ctx, coll, key)
    if current is None:
        ctx.insert(coll, key, value)
    else:
        ctx.replace(current, value)


def _validate(ctx: Any, store: CouchbaseStore, tenant: str, pending: Pending) -> None:
    for (kind, key), expected in pending.reads.items():
        current = tx_get(ctx, store.kind_coll(kind), ck.doc_key(tenant, key))
        if (revision_of(current.content_as[dict]) if current is not None else None) != expected:
            raise _Conflict(kind)
    for name, value in pending.counter_reads.items():
        current = tx_get(ctx, store.coll(ck.COUNTERS), ck.doc_key(tenant, name))
        if (current.content_as[int] if current is not None else None) != value:
            raise _Conflict(name)


def revision_of(envelope: dict[str, Any]) -> int:
    """The port's CAS of a stored document (see :func:`next_revision`)."""
    return int(envelope.get("r", 0))


def _write(
    ctx: Any,
    store: CouchbaseStore,
    tenant: str,
    kind: str,
    key: str,
    staged: tuple[dict[str, Any], int] | None,
) -> None:
    coll = store.kind_coll(kind)
    current = tx_get(ctx, coll, ck.doc_key(tenant, key))
    old = None if current is None else current.content_as[dict]["b"]
    body = None if staged is None else staged[0]
    if staged is None:
        if current is not None:
            ctx.remove(current)
    else:
        envelope = {"t": tenant, "r": staged[1], "b": staged[0]}
        if current is None:
            ctx.insert(coll, ck.doc_key(tenant, key), envelope)
        else:
            ctx.replace(current, envelope)
    maintain(ctx, store, tenant, kind, key, old, body, spec_of(kind).indexes)


def maintain(
    ctx: Any,
    store: CouchbaseStore,
    tenant: str,
    kind: str,
    key: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    fields: tuple[str, ...],
) -> None:
    """Move ``key`` between index documents for every field whose value changed, and in or
    out of the kind's directory when the document appears or disappears."""
    for name in fields:
        before = _index_doc(store, tenant, kind, name, key, old)
        after = _index_doc(store, tenant, kind, name, key, new)
        if before != after:
            if before is not None:
                edit_set(ctx, store.coll(ck.INDEX), before, tenant, key, add=False)
            if after is not None:
                edit_set(ctx, store.coll(ck.INDEX), after, tenant, key, add=True)
    if (old is None) != (new is None):
        shard = ck.dir_key(tenant, kind, ck.shard_of(key, store.dir_shards))
        edit_set(ctx, store.coll(ck.DIRECTORY), shard, tenant, key, add=new is not None)


def _index_doc(
    store: CouchbaseStore, tenant: str, kind: str, name: str, key: str, body: dict[str, Any] | None
) -> str | None:
    if body is None:
        return None
    value = extract(body, name)
    if value is UNINDEXED:
        return None
    shard = ck.shard_of(key, store.index_shards)
    return f"{ck.index_key(tenant, kind, name, value)}::{shard}"


def edit_set(ctx: Any, coll: Any, doc_key: str, tenant: str, key: str, *, add: bool) -> None:
    """Add ``key`` to (or take it out of) the key list held by ``doc_key``."""
    current = tx_get(ctx, coll, doc_key)
    keys = set(current.content_as[dict]["keys"]) if current is not None else set()
    if (key in keys) == add:
        return
    keys = keys | {key} if add else keys - {key}
    if current is None:
        ctx.insert(coll, doc_key, {"t": tenant, "keys": sorted(keys)})
    elif not keys:
        ctx.remove(current)
    else:
        ctx.replace(current, {"t": tenant, "keys": sorted(keys)})


__all__ = [
    "CouchbaseException",
    "CouchbaseTransaction",
    "Pending",
    "commit",
    "edit_set",
    "maintain",
]
