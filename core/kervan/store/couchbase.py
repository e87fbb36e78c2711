"""The Couchbase adapter (Python SDK 4.x): production storage that scales out.

One collection per document kind in one scope (``kervan`` by default); keys are
``<tenant>::<key>``; documents are envelopes ``{"t": tenant, "r": revision, "b": body}``, where
the revision is the port's CAS (see :func:`.couchbase_tx.next_revision`). Reads are KV gets.
Every write runs as a Couchbase transaction together with the maintained index documents that
answer queries by KV (see :mod:`.couchbase_tx` and :mod:`.couchbase_keys`); counters outside a
transaction are the SDK's binary counters. SQL++ is not used on any path; GSI definitions for
the same fields are kept as reviewed templates in :mod:`.couchbase_sqlpp`.

Missing collections (and the scope) are created on start for every declared kind, and on first
use for a kind declared later. A cluster that cannot be reached fails fast (connect and
bootstrap timeouts of a few seconds) with :class:`StoreUnavailable` saying so.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

from couchbase.exceptions import (
    CollectionAlreadyExistsException,
    CouchbaseException,
    DocumentNotFoundException,
    ScopeAlreadyExistsException,
)
from couchbase.options import DecrementOptions, DeltaValue, IncrementOptions, SignedInt64

from . import couchbase_keys as ck
from .checks import check_key, check_kind, check_query, check_tenant, spec_of
from .couchbase_index import candidates, directory, ensure_built
from .couchbase_tx import CouchbaseTransaction, Pending, commit, revision_of
from .matching import matches, order_and_page
from .opening import couchbase_params
from .port import (
    CasMismatch,
    Doc,
    DocumentExists,
    Query,
    Store,
    StoreError,
    StoreUnavailable,
    TenantStore,
    Transaction,
    declared_kinds,
)

log = logging.getLogger("kervan.store.couchbase")


class CouchbaseStore(Store):
    """A store on a Couchbase bucket/scope, given an SDK ``Cluster`` (or the fake)."""

    def __init__(
        self,
        cluster: Any,
        bucket: str = "kervan",
        scope: str = "kervan",
        *,
        dir_shards: int = 16,
        index_shards: int = 4,
    ) -> None:
        self.cluster = cluster
        self.bucket_name, self.scope_name = bucket, scope
        self.dir_shards, self.index_shards = dir_shards, index_shards
        self._bucket = cluster.bucket(bucket)
        self._scope = self._bucket.scope(scope)
        self._colls: dict[str, Any] = {}
        self._ready: set[str] = set()
        self._built: set[tuple[str, str]] = set()
        self._tenants: set[str] = set()
        self._lock = threading.Lock()
        self.ensure_collections([*ck.INTERNAL, *declared_kinds()])

    def __repr__(self) -> str:
        return f"<CouchbaseStore {self.bucket_name}.{self.scope_name}>"

    @classmethod
    def connect(cls, url: str, *, timeout_s: float | None = None) -> CouchbaseStore:
        """Open ``couchbase://host?bucket=kervan&scope=kervan`` with credentials from
        ``KERVAN_COUCHBASE_USER`` / ``KERVAN_COUCHBASE_PASSWORD``; fail within a few seconds
        when no cluster answers."""
        from couchbase.auth import PasswordAuthenticator
        from couchbase.cluster import Cluster
        from couchbase.options import ClusterOptions, ClusterTimeoutOptions

        connstr, params = couchbase_params(url)
        timeout_s = timeout_s or float(params.get("timeout", 3.0))
        user = os.environ.get("KERVAN_COUCHBASE_USER", "")
        password = os.environ.get("KERVAN_COUCHBASE_PASSWORD", "")
        limit = timedelta(seconds=timeout_s)
        options = ClusterOptions(
            PasswordAuthenticator(user, password),
            timeout_options=ClusterTimeoutOptions(
                connect_timeout=limit, bootstrap_timeout=limit, kv_timeout=limit
            ),
        )
        try:
            cluster = Cluster(connstr, options)
            cluster.wait_until_ready(limit)
        except CouchbaseException as exc:
            raise StoreUnavailable(
                f"no Couchbase cluster answered at {connstr} within {timeout_s:g}s "
                f"({type(exc).__name__}); check KERVAN_STORE_URL, KERVAN_COUCHBASE_USER and "
                "KERVAN_COUCHBASE_PASSWORD, or unset KERVAN_STORE_URL to use SQLite"
            ) from None
        store = cls(cluster, params.get("bucket", "kervan"), params.get("scope", "kervan"))
        store.create_gsi_indexes()
        return store

    def create_gsi_indexes(self) -> list[str]:
        """Run the reviewed GSI templates (:mod:`.couchbase_sqlpp`) for the declared kinds.

        Nothing in the adapter queries through them; they are there for SQL++ reporting and
        ad-hoc analysis. A cluster without a query service is logged, not fatal."""
        from .couchbase_sqlpp import index_statements

        statements = index_statements(self.bucket_name, self.scope_name, declared_kinds())
        for statement in statements:
            try:
                self.cluster.query(statement).execute()
            except CouchbaseException as exc:
                log.warning("GSI index not created (%s): %s", type(exc).__name__, statement)
                return []
        return statements

    # -- plumbing ----------------------------------------------------------------------------

    def unavailable(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"couchbase: {type(exc).__name__}")

    def ensure_collections(self, names: list[str]) -> None:
        missing = [n for n in names if n not in self._ready]
        if not missing:
            return
        manager = self._bucket.collections()
        try:
            scopes = {s.name: {c.name for c in s.collections} for s in manager.get_all_scopes()}
            if self.scope_name not in scopes:
                with suppress(ScopeAlreadyExistsException):
                    manager.create_scope(self.scope_name)
            for name in missing:
                if name not in scopes.get(self.scope_name, set()):
                    # another process may have made it first
                    with suppress(CollectionAlreadyExistsException):
                        manager.create_collection(self.scope_name, name)
        except CouchbaseException as exc:
            raise self.unavailable(exc) from None
        with self._lock:
            self._ready.update(missing)

    def kind_coll(self, kind: str) -> Any:
        """The collection of a document kind (never one of the adapter's own)."""
        if kind.startswith("kervan_"):
            raise StoreError(f"kind {kind!r}: names starting with 'kervan_' are reserved")
        return self.coll(kind)

    def coll(self, name: str) -> Any:
        found = self._colls.get(name)
        if found is None:
            self.ensure_collections([name])
            found = self._colls[name] = self._scope.collection(name)
        return found

    def kv_get(self, tenant: str, kind: str, key: str) -> Doc | None:
        try:
            res = self.kind_coll(kind).get(ck.doc_key(tenant, key))
        except DocumentNotFoundException:
            return None
        except CouchbaseException as exc:
            raise self.unavailable(exc) from None
        envelope = res.content_as[dict]
        if envelope.get("t") != tenant:  # defence in depth: the key already says the tenant
            raise StoreError(f"{kind} {key}: stored under another tenant")
        return Doc(kind, key, envelope["b"], revision_of(envelope))

    def counter_value(self, tenant: str, name: str) -> int | None:
        try:
            return int(self.coll(ck.COUNTERS).get(ck.doc_key(tenant, name)).content_as[int])
        except DocumentNotFoundException:
            return None
        except CouchbaseException as exc:
            raise self.unavailable(exc) from None

    def register_tenant(self, ctx: Any, tenant: str) -> None:
        """Inside a transaction: note that ``tenant`` has documents (for :meth:`tenant_ids`)."""
        if tenant in self._tenants:
            return
        from .couchbase_tx import edit_set

        edit_set(ctx, self.coll(ck.META), ck.TENANTS_DOC, "", tenant, add=True)

    def run(self, tenant: str, pending: Pending) -> None:
        commit(self, tenant, pending)
        with self._lock:
            self._tenants.add(tenant)

    def ensure_built(self, kind: str, fields: tuple[str, ...]) -> None:
        """Back-fill index documents of fields declared late (see :mod:`.couchbase_index`)."""
        with self._lock:
            done = set(self._built)
        ensure_built(self, kind, fields, done)
        with self._lock:
            self._built |= done

    # -- Store -------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> CouchbaseTenantStore:
        return CouchbaseTenantStore(self, check_tenant(tenant_id))

    def tenant_ids(self) -> list[str]:
        try:
            doc = self.coll(ck.META).get(ck.TENANTS_DOC)
        except DocumentNotFoundException:
            return []
        except CouchbaseException as exc:
            raise self.unavailable(exc) from None
        return sorted(doc.content_as[dict]["keys"])

    def close(self) -> None:
        self.cluster.close()


class CouchbaseTenantStore(TenantStore):
    """One tenant's view: every key is prefixed with the tenant inside the adapter."""

    def __init__(self, store: CouchbaseStore, tenant_id: str) -> None:
        self.store, self.tenant_id = store, tenant_id

    def __repr__(self) -> str:
        return f"<CouchbaseTenantStore tenant={self.tenant_id}>"

    def get(self, kind: str, key: str) -> Doc | None:
        return self.store.kv_get(self.tenant_id, check_kind(kind), check_key(key))

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Doc]:
        out = {}
        for key in dict.fromkeys(keys):
            doc = self.get(kind, key)
            if doc is not None:
                out[key] = doc
        return out

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        tx = CouchbaseTransaction(self.store, self.tenant_id)
        yield tx
        self.store.run(self.tenant_id, tx.pending)

    def _single(self, kind: str, key: str, op: str, *args: Any) -> Doc:
        """One write as a one-operation transaction; the Doc carries its committed CAS."""
        with self.transaction() as tx:
            doc: Doc = getattr(tx, op)(kind, key, *args)
        return doc

    def insert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        try:
            return self._single(kind, key, "insert", body)
        except CasMismatch:
            if self.get(kind, key) is not None:  # lost a race with another insert
                raise DocumentExists(f"{kind} {key} already exists") from None
            raise

    def replace(self, kind: str, key: str, body: dict[str, Any], cas: int | None = None) -> Doc:
        return self._single(kind, key, "replace", body, cas)

    def upsert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        for _ in range(20):
            try:
                return self._single(kind, key, "upsert", body)
            except CasMismatch:
                continue  # an upsert does not care what was there: just try again
        raise CasMismatch(f"{kind} {key}: too many concurrent changes")

    def upsert_many(self, kind: str, items: dict[str, dict[str, Any]]) -> None:
        keys = list(items)
        for start in range(0, len(keys), 200):  # keep each SDK transaction small
            with self.transaction() as tx:
                for key in keys[start : start + 200]:
                    tx.upsert(kind, key, items[key])

    def remove(self, kind: str, key: str, cas: int | None = None) -> None:
        self._single(kind, key, "remove", cas)

    def counter(self, name: str, delta: int = 1, initial: int = 0) -> int:
        if not isinstance(name, str) or not name or "::" in name:
            raise StoreError("a counter needs a non-empty name without '::'")
        if initial + delta < 0:
            raise StoreError("Couchbase counters cannot go below zero")
        binary = self.store.coll(ck.COUNTERS).binary()
        key = ck.doc_key(self.tenant_id, name)
        try:
            if delta >= 0:
                # The SDK creates a missing counter at `initial` without adding the delta.
                opts = IncrementOptions(
                    initial=SignedInt64(initial + delta), delta=DeltaValue(delta)
                )
                res = binary.increment(key, opts)
            else:
                opts = DecrementOptions(
                    initial=SignedInt64(initial + delta), delta=DeltaValue(-delta)
                )
                res = binary.decrement(key, opts)
        except CouchbaseException as exc:
            raise self.store.unavailable(exc) from None
        return int(res.content)

    def directory(self, kind: str) -> set[str]:
        """Every key of ``kind`` for this tenant."""
        return directory(self.store, self.tenant_id, kind)

    def _matching(self, query: Query) -> list[Doc]:
        spec = check_query(query)
        self.store.ensure_built(query.kind, spec.indexes)
        docs = self.get_many(query.kind, sorted(candidates(self.store, self.tenant_id, query)))
        # Index documents change in the same transaction as their documents, so this filter
        # only applies range and the other where-fields; it is also the source of truth.
        return [d for d in docs.values() if matches(query, d.body)]

    def query(self, query: Query) -> list[Doc]:
        return order_and_page(query, self._matching(query))

    def count(self, query: Query) -> int:
        return len(self._matching(query))

    def put_blob(self, key: str, data: bytes, content_type: str) -> None:
        import base64

        body = {"t": self.tenant_id, "type": content_type, "data": base64.b64encode(data).decode()}
        try:
            self.store.coll(ck.BLOBS).upsert(ck.doc_key(self.tenant_id, check_key(key)), body)
        except CouchbaseException as exc:
            raise self.store.unavailable(exc) from None

    def get_blob(self, key: str) -> tuple[bytes, str] | None:
        import base64

        try:
            res = self.store.coll(ck.BLOBS).get(ck.doc_key(self.tenant_id, check_key(key)))
        except DocumentNotFoundException:
            return None
        except CouchbaseException as exc:
            raise self.store.unavailable(exc) from None
        body = res.content_as[dict]
        return base64.b64decode(body["data"]), body["type"]


__all__ = ["CouchbaseStore", "CouchbaseTenantStore", "spec_of"]
