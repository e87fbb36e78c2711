"""The ``Store`` port: what every storage adapter must do.

Shaped after what Couchbase does natively so adapters stay thin: JSON documents by key with
CAS, atomic counters, secondary queries on *declared* indexed fields, binary blobs, and short
multi-document transactions. Tenant scoping happens here: a caller obtains a
:class:`TenantStore` bound to one tenant and can reach nothing else through it.

Document kinds and their indexed fields are declared once (:func:`declare_kind`) before a store
is opened; adapters create the indexes on start and refuse queries on undeclared fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from ..errors import KervanError

PLATFORM_TENANT = "_platform"  # tenants, users, API key index live here


class StoreError(KervanError):
    code = "store_error"


class DocumentNotFound(StoreError):
    code = "not_found"


class DocumentExists(StoreError):
    code = "exists"


class CasMismatch(StoreError):
    """Someone else changed the document since you read it; read again and retry."""

    code = "cas_mismatch"
    retryable = True


class UndeclaredIndex(StoreError):
    code = "undeclared_index"


class StoreUnavailable(StoreError):
    code = "store_unavailable"
    retryable = True


@dataclass(frozen=True)
class Doc:
    """A stored JSON document with its CAS token."""

    kind: str
    key: str
    body: dict[str, Any]
    cas: int


@dataclass(frozen=True)
class KindSpec:
    """A document kind and the body fields that can be queried."""

    name: str
    indexes: tuple[str, ...] = ()


_KINDS: dict[str, KindSpec] = {}


def declare_kind(name: str, indexes: tuple[str, ...] | list[str] = ()) -> KindSpec:
    """Declare a document kind (idempotent; indexes accumulate)."""
    old = _KINDS.get(name)
    merged = tuple(dict.fromkeys((*(old.indexes if old else ()), *indexes)))
    spec = KindSpec(name, merged)
    _KINDS[name] = spec
    return spec


def declared_kinds() -> dict[str, KindSpec]:
    return dict(_KINDS)


def kind_spec(name: str) -> KindSpec | None:
    """The declaration of one kind (no copy of the registry: adapters ask on every write)."""
    return _KINDS.get(name)


@dataclass(frozen=True)
class Query:
    """Equality filters on indexed fields, optional range on one, ordering and paging.

    ``where`` maps field → value (or a list/tuple of values meaning IN); ``range`` is
    ``(field, low, high)`` with inclusive bounds, either may be ``None``. ``order_by`` names an
    indexed field, prefix ``-`` for descending.
    """

    kind: str
    where: dict[str, Any] = field(default_factory=dict)
    range: tuple[str, Any, Any] | None = None
    order_by: str | None = None
    limit: int | None = None
    offset: int = 0
    #: keyset paging: ``(order value, key)`` of the last document of the previous page; the
    #: page starts right after it in the query's order (the value is ignored without
    #: ``order_by``, where documents come in key order). Reads only the page, however deep.
    after: tuple[Any, str] | None = None


class Transaction(ABC):
    """Operations inside one atomic unit. Raise to roll back; leave the block to commit."""

    @abstractmethod
    def get(self, kind: str, key: str) -> Doc | None: ...

    @abstractmethod
    def insert(self, kind: str, key: str, body: dict[str, Any]) -> Doc: ...

    @abstractmethod
    def replace(self, kind: str, key: str, body: dict[str, Any], cas: int | None = None) -> Doc: ...

    @abstractmethod
    def upsert(self, kind: str, key: str, body: dict[str, Any]) -> Doc: ...

    @abstractmethod
    def remove(self, kind: str, key: str) -> None: ...

    @abstractmethod
    def counter(self, name: str, delta: int = 1, initial: int = 0) -> int:
        """Add ``delta``; return the new value (the first call returns ``initial + delta``).

        A transaction that moves a counter is durable when it commits (see
        :meth:`require_durable`): a number it hands out may leave for GİB right after."""

    def require_durable(self) -> None:
        """This transaction must be on disk when its block returns, because the caller is
        about to act outside on the strength of it (send a document with the number it took,
        ask a carrier after noting that it is about to). Adapters that commit the rest with
        deferred syncing (the embedded SQLite store) sync this one; the others are durable
        on every commit and need do nothing."""
        return None

    #: whether :meth:`put_blob` writes inside this transaction (else the caller writes its
    #: blobs before the transaction, under keys a retry rewrites with the same bytes)
    blobs_in_transaction: bool = False

    def put_blob(self, key: str, data: bytes, content_type: str) -> None:
        """Write a blob as part of this transaction (only where
        :attr:`blobs_in_transaction`)."""
        raise StoreError(f"{type(self).__name__} cannot write blobs inside a transaction")


class TenantStore(ABC):
    """Everything one tenant can reach. Every key, query and counter is scoped to ``tenant_id``."""

    tenant_id: str

    @abstractmethod
    def get(self, kind: str, key: str) -> Doc | None: ...

    @abstractmethod
    def get_many(self, kind: str, keys: list[str]) -> dict[str, Doc]: ...

    @abstractmethod
    def insert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        """Create; raise :class:`DocumentExists` if the key is taken."""

    @abstractmethod
    def replace(self, kind: str, key: str, body: dict[str, Any], cas: int | None = None) -> Doc:
        """Overwrite; with ``cas``, raise :class:`CasMismatch` if it changed meanwhile."""

    @abstractmethod
    def upsert(self, kind: str, key: str, body: dict[str, Any]) -> Doc: ...

    @abstractmethod
    def upsert_many(self, kind: str, items: dict[str, dict[str, Any]]) -> None:
        """Write many documents in one batch (one transaction where the adapter can)."""

    @abstractmethod
    def remove(self, kind: str, key: str, cas: int | None = None) -> None: ...

    @abstractmethod
    def query(self, query: Query) -> list[Doc]: ...

    @abstractmethod
    def count(self, query: Query) -> int: ...

    @abstractmethod
    def counter(self, name: str, delta: int = 1, initial: int = 0) -> int:
        """Atomic counter: add ``delta`` and return the new value."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A short multi-document transaction (serializable within this tenant)."""

    @abstractmethod
    def put_blob(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def get_blob(self, key: str) -> tuple[bytes, str] | None:
        """``(data, content_type)`` or ``None``."""

    def put_blobs(self, tx: Transaction, blobs: Iterable[tuple[str, bytes, str]]) -> None:
        """Write ``(key, data, content_type)`` blobs with ``tx`` where the adapter can
        (:attr:`Transaction.blobs_in_transaction`), else now, under keys a retry rewrites
        with the same bytes."""
        for key, data, content_type in blobs:
            if tx.blobs_in_transaction:
                tx.put_blob(key, data, content_type)
            else:
                self.put_blob(key, data, content_type)

    def update(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any]], dict[str, Any] | None],
        attempts: int = 20,
    ) -> Doc | None:
        """Read-modify-write with CAS, retrying on conflict. ``change`` returning ``None``
        means "no change" and the current document is returned as is."""
        for _ in range(attempts):
            doc = self.get(kind, key)
            if doc is None:
                raise DocumentNotFound(f"{kind} {key} not found")
            new = change(dict(doc.body))
            if new is None:
                return doc
            try:
                return self.replace(kind, key, new, cas=doc.cas)
            except CasMismatch:
                continue
        raise CasMismatch(f"{kind} {key}: gave up after {attempts} conflicting updates")

    def keys(self, query: Query) -> list[str]:
        """The keys of the documents ``query`` finds, in its order (bodies are not read)."""
        return [d.key for d in self.query(query)]

    def iter_query(self, query: Query, page_size: int = 500) -> Iterator[Doc]:
        """Every document ``query`` finds, a page at a time by keyset (each page starts after
        the last document of the one before, so a deep page costs what the first does)."""
        after = query.after
        taken = 0
        while True:
            size = page_size if query.limit is None else min(page_size, query.limit - taken)
            if size <= 0:
                return
            page = self.query(
                Query(
                    query.kind,
                    query.where,
                    query.range,
                    query.order_by,
                    size,
                    query.offset if after is None and taken == 0 else 0,
                    after,
                )
            )
            yield from page
            taken += len(page)
            if len(page) < size:
                return
            after = after_of(query, page[-1])


def after_of(query: Query, doc: Doc) -> tuple[Any, str]:
    """The keyset position of ``doc`` in ``query``'s order (for :attr:`Query.after`)."""
    if not query.order_by:
        return (None, doc.key)
    from .checks import UNINDEXED, extract

    value = extract(doc.body, query.order_by.lstrip("-+"))
    return (None if value is UNINDEXED else value, doc.key)


class Store(ABC):
    """An opened store. Obtain tenant-bound views with :meth:`tenant`."""

    @abstractmethod
    def tenant(self, tenant_id: str) -> TenantStore: ...

    def platform(self) -> TenantStore:
        """The platform's own space (tenants, users, API key index)."""
        return self.tenant(PLATFORM_TENANT)

    @abstractmethod
    def tenant_ids(self) -> list[str]:
        """Every tenant that has at least one document (for sweeps)."""

    @abstractmethod
    def close(self) -> None: ...
