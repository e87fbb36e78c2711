"""Document keys and collection names of the Couchbase adapter, in one place.

Every key starts with the tenant id and ``::`` (tenant ids and document keys cannot contain
``::``, see :mod:`kervan.store.checks`), so no key of one tenant can name another's document.
A stored document is an envelope ``{"t": tenant, "b": body}``: the tenant is inside the
document as well, which lets GSI indexes (``couchbase_sqlpp``) filter by tenant and lets the
adapter double-check every read.

Maintained index documents (collection ``kervan_index``) list the keys whose body has a given
value in a declared field: ``<tenant>::<kind>::<field>::<hash of value>``. Directory documents
(collection ``kervan_dir``) list every key of a kind, spread over shards by key hash so two
inserts rarely touch the same directory document: ``<tenant>::<kind>::<shard>``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

INDEX, DIRECTORY, COUNTERS, BLOBS, META = (
    "kervan_index",
    "kervan_dir",
    "kervan_counters",
    "kervan_blobs",
    "kervan_meta",
)
INTERNAL = (INDEX, DIRECTORY, COUNTERS, BLOBS, META)
TENANTS_DOC = "tenants"  # in META: every tenant that has written a document


def doc_key(tenant: str, key: str) -> str:
    return f"{tenant}::{key}"


def normalise(value: Any) -> Any:
    """One spelling per index value: ``2.0`` and ``2`` (and ``True`` and ``1``) are equal in
    queries, so they must land in the same index document."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def index_key(tenant: str, kind: str, field: str, value: Any) -> str:
    text = json.dumps(normalise(value), ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return f"{tenant}::{kind}::{field}::{digest}"


def dir_key(tenant: str, kind: str, shard: int) -> str:
    return f"{tenant}::{kind}::{shard}"


def shard_of(key: str, shards: int) -> int:
    return zlib.crc32(key.encode()) % shards
