"""Reading the Couchbase adapter's maintained index and directory documents, and
back-filling them for fields declared after documents were written.

The documents themselves are written in the same SDK transaction as the documents they
describe (:func:`kervan.store.couchbase_tx.maintain`); this module only reads them, except for
the back-fill, which runs one small transaction per existing document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from couchbase.exceptions import CouchbaseException, DocumentNotFoundException

from . import couchbase_keys as ck
from .checks import where_values
from .couchbase_tx import maintain, tx_get
from .port import Query

if TYPE_CHECKING:
    from .couchbase import CouchbaseStore


def key_list(store: CouchbaseStore, coll: str, doc_key: str) -> set[str]:
    """The keys held by one index or directory document (empty when it does not exist)."""
    try:
        return set(store.coll(coll).get(doc_key).content_as[dict]["keys"])
    except DocumentNotFoundException:
        return set()
    except CouchbaseException as exc:
        raise store.unavailable(exc) from None


def directory(store: CouchbaseStore, tenant: str, kind: str) -> set[str]:
    """Every key of ``kind`` for ``tenant``, from the sharded directory documents."""
    keys: set[str] = set()
    for shard in range(store.dir_shards):
        keys |= key_list(store, ck.DIRECTORY, ck.dir_key(tenant, kind, shard))
    return keys


def candidates(store: CouchbaseStore, tenant: str, query: Query) -> set[str]:
    """Keys that may match ``query``: the intersection over its ``where`` fields of the
    union over each field's values; the whole directory when there is no ``where``."""
    if not query.where:
        return directory(store, tenant, query.kind)
    found: set[str] | None = None
    for name, wanted in query.where.items():
        keys: set[str] = set()
        for value in where_values(wanted):
            base = ck.index_key(tenant, query.kind, name, value)
            for shard in range(store.index_shards):
                keys |= key_list(store, ck.INDEX, f"{base}::{shard}")
        found = keys if found is None else found & keys
    return found or set()


def ensure_built(store: CouchbaseStore, kind: str, fields: tuple[str, ...], done: set[Any]) -> None:
    """Back-fill index documents for fields declared after documents were written.

    A marker in ``kervan_meta`` says which fields are built, so this runs once per field per
    cluster; ``done`` remembers it in this process."""
    todo = [f for f in fields if (kind, f) not in done]
    if not todo:
        return
    marker = f"indexes::{kind}"
    try:
        try:
            built = set(store.coll(ck.META).get(marker).content_as[dict]["fields"])
        except DocumentNotFoundException:
            built = set()
        missing = tuple(f for f in todo if f not in built)
        if missing:
            for tenant in store.tenant_ids():
                _backfill(store, tenant, kind, missing)
            store.coll(ck.META).upsert(marker, {"fields": sorted(built | set(missing))})
    except CouchbaseException as exc:
        raise store.unavailable(exc) from None
    done.update((kind, f) for f in todo)


def _backfill(store: CouchbaseStore, tenant: str, kind: str, fields: tuple[str, ...]) -> None:
    for key in sorted(directory(store, tenant, kind)):

        def logic(ctx: Any, key: str = key) -> None:
            cur = tx_get(ctx, store.kind_coll(kind), ck.doc_key(tenant, key))
            if cur is not None:
                maintain(ctx, store, tenant, kind, key, None, cur.content_as[dict]["b"], fields)

        store.cluster.transactions.run(logic)
