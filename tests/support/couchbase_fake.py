"""An in-memory stand-in for a Couchbase cluster, shaped like the Python SDK 4.x.

Test support, not part of the runtime package: ``pythonpath`` in the root pyproject's pytest
settings puts ``tests/support`` on ``sys.path``, so tests write ``from couchbase_fake import
FakeCluster``. No Couchbase Server can run on our machines, so the Couchbase adapter is
exercised against this: the same call shapes (``cluster.bucket().scope().collection()``,
``get/insert/replace/upsert/remove`` with ``ReplaceOptions(cas=...)``/``RemoveOptions(cas=...)``,
``binary().increment(key, IncrementOptions(initial=..., delta=...))``,
``bucket.collections().create_collection(scope, name)``, ``cluster.transactions.run(logic)``
with ``ctx.get/insert/replace/remove``) and the wheel's real exception classes. Values go
through a JSON round trip, as on the wire.

What it does not pretend: it runs no SQL++ (``query`` raises), and its transactions are
serialised by one lock. ``conflicts`` makes the next N transaction attempts be thrown away
after ``logic`` ran, the way the SDK retries after a write-write conflict, so logic that is
not safe to re-run shows up in tests. Set ``unavailable`` to make every call time out.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from couchbase.exceptions import (
    CasMismatchException,
    CollectionAlreadyExistsException,
    DocumentExistsException,
    DocumentNotFoundException,
    FeatureUnavailableException,
    InvalidArgumentException,
    ScopeAlreadyExistsException,
    ScopeNotFoundException,
    TransactionFailed,
    UnAmbiguousTimeoutException,
)
from couchbase.management.collections import CollectionSpec, ScopeSpec
from couchbase.options import DeltaValue, SignedInt64

_Path = tuple[str, str, str]  # bucket, scope, collection


class _Content:
    """``result.content_as[dict]`` like the SDK's ContentProxy."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __getitem__(self, kind: type) -> Any:
        return kind(self._value)


class FakeResult:
    def __init__(self, key: str, value: Any, cas: int) -> None:
        self.key, self.id, self.value, self.cas = key, key, value, cas

    @property
    def content_as(self) -> _Content:
        return _Content(self.value)

    @property
    def content(self) -> Any:
        return self.value


def _opt(opts: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    for opt in opts:
        if hasattr(opt, "get") and opt.get(name) is not None:
            return opt.get(name)
    return kwargs.get(name)


class FakeCluster:
    """``Cluster`` with buckets created on demand and the ``_default`` scope in each."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.data: dict[_Path, dict[str, tuple[str, int]]] = {}
        self.scopes: dict[str, dict[str, set[str]]] = {}
        self._cas = itertools.count(1_700_000_000_000_000_000, 1_000)
        self.transactions = FakeTransactions(self)
        self.conflicts = 0
        self.unavailable = False
        self.transaction_attempts = 0

    def bucket(self, name: str) -> FakeBucket:
        with self.lock:
            self.scopes.setdefault(name, {"_default": {"_default"}})
        return FakeBucket(self, name)

    def wait_until_ready(self, timeout: Any, *opts: Any, **kwargs: Any) -> None:
        self.check()

    def query(self, statement: str, *opts: Any, **kwargs: Any) -> Any:
        raise FeatureUnavailableException(message="the fake cluster does not run SQL++")

    def close(self) -> None:
        pass

    def next_cas(self) -> int:
        return next(self._cas)

    def check(self, path: _Path | None = None) -> None:
        if self.unavailable:
            raise UnAmbiguousTimeoutException(message="fake cluster: unavailable")
        if path is not None and path[2] not in self.scopes.get(path[0], {}).get(path[1], set()):
            # A real SDK retries an unknown collection until the operation times out.
            raise UnAmbiguousTimeoutException(message=f"collection {path[1]}.{path[2]} not found")

    def table(self, path: _Path) -> dict[str, tuple[str, int]]:
        self.check(path)
        return self.data.setdefault(path, {})


class FakeBucket:
    def __init__(self, cluster: FakeCluster, name: str) -> None:
        self.cluster, self.name = cluster, name

    def scope(self, name: str) -> FakeScope:
        return FakeScope(self, name)

    def default_collection(self) -> FakeCollection:
        return FakeCollection(self.cluster, (self.name, "_default", "_default"))

    def collections(self) -> FakeCollectionManager:
        return FakeCollectionManager(self.cluster, self.name)


class FakeScope:
    def __init__(self, bucket: FakeBucket, name: str) -> None:
        self.bucket, self.name = bucket, name

    def collection(self, name: str) -> FakeCollection:
        return FakeCollection(self.bucket.cluster, (self.bucket.name, self.name, name))


class FakeCollectionManager:
    def __init__(self, cluster: FakeCluster, bucket: str) -> None:
        self.cluster, self.bucket = cluster, bucket

    def get_all_scopes(self, *opts: Any, **kwargs: Any) -> list[ScopeSpec]:
        with self.cluster.lock:
            self.cluster.check()
            return [
                ScopeSpec(name, [CollectionSpec(c, name) for c in sorted(colls)])
                for name, colls in self.cluster.scopes[self.bucket].items()
            ]

    def create_scope(self, scope_name: str, *opts: Any, **kwargs: Any) -> None:
        with self.cluster.lock:
            self.cluster.check()
            scopes = self.cluster.scopes[self.bucket]
            if scope_name in scopes:
                raise ScopeAlreadyExistsException(message=f"scope {scope_name} exists")
            scopes[scope_name] = set()

    def create_collection(
        self, scope_name: str, collection_name: str, *args: Any, **kw: Any
    ) -> None:
        if not isinstance(scope_name, str):
            raise InvalidArgumentException(message="use create_collection(scope_name, name)")
        with self.cluster.lock:
            self.cluster.check()
            scope = self.cluster.scopes[self.bucket].get(scope_name)
            if scope is None:
                raise ScopeNotFoundException(message=f"scope {scope_name} not found")
            if collection_name in scope:
                raise CollectionAlreadyExistsException(message=f"{collection_name} exists")
            scope.add(collection_name)


class FakeCollection:
    def __init__(self, cluster: FakeCluster, path: _Path) -> None:
        self.cluster, self.path = cluster, path
        self.name = path[2]

    def _read(self, key: str) -> tuple[Any, int]:
        row = self.cluster.table(self.path).get(key)
        if row is None:
            raise DocumentNotFoundException(message=f"document {key} not found")
        return json.loads(row[0]), row[1]

    def _write(self, key: str, value: Any) -> FakeResult:
        cas = self.cluster.next_cas()
        self.cluster.table(self.path)[key] = (json.dumps(value), cas)
        return FakeResult(key, None, cas)

    def get(self, key: str, *opts: Any, **kwargs: Any) -> FakeResult:
        with self.cluster.lock:
            value, cas = self._read(key)
            return FakeResult(key, value, cas)

    def insert(self, key: str, value: Any, *opts: Any, **kwargs: Any) -> FakeResult:
        with self.cluster.lock:
            if key in self.cluster.table(self.path):
                raise DocumentExistsException(message=f"document {key} exists")
            return self._write(key, value)

    def upsert(self, key: str, value: Any, *opts: Any, **kwargs: Any) -> FakeResult:
        with self.cluster.lock:
            return self._write(key, value)

    def replace(self, key: str, value: Any, *opts: Any, **kwargs: Any) -> FakeResult:
        with self.cluster.lock:
            _, cas = self._read(key)
            expected = _opt(opts, kwargs, "cas")
            if expected and expected != cas:
                raise CasMismatchException(message=f"cas mismatch on {key}")
            return self._write(key, value)

    def remove(self, key: str, *opts: Any, **kwargs: Any) -> FakeResult:
        with self.cluster.lock:
            _, cas = self._read(key)
            expected = _opt(opts, kwargs, "cas")
            if expected and expected != cas:
                raise CasMismatchException(message=f"cas mismatch on {key}")
            del self.cluster.table(self.path)[key]
            return FakeResult(key, None, self.cluster.next_cas())

    def binary(self) -> FakeBinaryCollection:
        return FakeBinaryCollection(self)


class FakeBinaryCollection:
    def __init__(self, collection: FakeCollection) -> None:
        self.collection = collection

    def increment(self, key: str, *opts: Any, **kwargs: Any) -> FakeResult:
        return self._add(key, opts, kwargs, +1)

    def decrement(self, key: str, *opts: Any, **kwargs: Any) -> FakeResult:
        return self._add(key, opts, kwargs, -1)

    def _add(
        self, key: str, opts: tuple[Any, ...], kwargs: dict[str, Any], sign: int
    ) -> FakeResult:
        coll = self.collection
        # The SDK insists on DeltaValue / SignedInt64 and defaults to delta 1, initial 0; a
        # negative initial means "do not create".
        delta = _opt(opts, kwargs, "delta") or DeltaValue(1)
        initial = _opt(opts, kwargs, "initial") or SignedInt64(0)
        if not isinstance(delta, DeltaValue) or not isinstance(initial, SignedInt64):
            raise InvalidArgumentException(message="delta/initial must be DeltaValue/SignedInt64")
        with coll.cluster.lock:
            row = coll.cluster.table(coll.path).get(key)
            if row is None:
                if int(initial) < 0:
                    raise DocumentNotFoundException(message=f"counter {key} not found")
                value = int(initial)  # created at `initial`, without the delta
            else:
                current = json.loads(row[0])
                if not isinstance(current, int) or isinstance(current, bool):
                    raise InvalidArgumentException(message=f"{key} is not a counter")
                value = max(current + sign * int(delta), 0)  # unsigned: stops at 0
            res = coll._write(key, value)
            return FakeResult(key, value, res.cas)


class FakeTransactions:
    """``cluster.transactions``: ``run(logic)`` stages writes and applies them at the end."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster

    def run(
        self, txn_logic: Callable[[Any], None], transaction_options: Any = None, **kw: Any
    ) -> Any:
        with self.cluster.lock:
            self.cluster.check()
            while True:
                self.cluster.transaction_attempts += 1
                ctx = FakeAttemptContext(self.cluster)
                try:
                    txn_logic(ctx)
                except Exception as exc:
                    raise TransactionFailed(
                        message=f"transaction failed: {type(exc).__name__}"
                    ) from exc
                if self.cluster.conflicts > 0:  # simulated write-write conflict: retry the logic
                    self.cluster.conflicts -= 1
                    continue
                ctx.commit()
                return {"transaction_id": f"fake-{self.cluster.transaction_attempts}"}


class FakeTxnGetResult:
    def __init__(self, coll: FakeCollection, key: str, value: Any, cas: int) -> None:
        self.coll, self.id, self.cas, self._value = coll, key, cas, value

    @property
    def content_as(self) -> _Content:
        return _Content(json.loads(json.dumps(self._value)))


class FakeAttemptContext:
    """``AttemptContext``: reads see this attempt's own staged writes."""

    _GONE = object()

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        self.staged: dict[tuple[_Path, str], Any] = {}

    def get(
        self, coll: FakeCollection, key: str, options: Any = None, **kw: Any
    ) -> FakeTxnGetResult:
        staged = self.staged.get((coll.path, key))
        if staged is self._GONE:
            raise DocumentNotFoundException(message=f"document {key} not found")
        if staged is not None:
            return FakeTxnGetResult(coll, key, staged, 0)
        value, cas = coll._read(key)
        return FakeTxnGetResult(coll, key, value, cas)

    def _exists(self, coll: FakeCollection, key: str) -> bool:
        staged = self.staged.get((coll.path, key))
        if staged is not None:
            return staged is not self._GONE
        return key in self.cluster.table(coll.path)

    def insert(
        self, coll: FakeCollection, key: str, value: Any, options: Any = None, **kw: Any
    ) -> FakeTxnGetResult:
        if self._exists(coll, key):
            raise DocumentExistsException(message=f"document {key} exists")
        self.staged[(coll.path, key)] = json.loads(json.dumps(value))
        return FakeTxnGetResult(coll, key, value, 0)

    def replace(
        self, txn_get_result: FakeTxnGetResult, value: Any, options: Any = None, **kw: Any
    ) -> FakeTxnGetResult:
        res = txn_get_result
        if not self._exists(res.coll, res.id):
            raise DocumentNotFoundException(message=f"document {res.id} not found")
        self.staged[(res.coll.path, res.id)] = json.loads(json.dumps(value))
        return FakeTxnGetResult(res.coll, res.id, value, 0)

    def remove(self, txn_get_result: FakeTxnGetResult, **kw: Any) -> None:
        res = txn_get_result
        if not self._exists(res.coll, res.id):
            raise DocumentNotFoundException(message=f"document {res.id} not found")
        self.staged[(res.coll.path, res.id)] = self._GONE

    def commit(self) -> None:
        for (path, key), value in self.staged.items():
            table = self.cluster.table(path)
            if value is self._GONE:
                table.pop(key, None)
            else:
                table[key] = (json.dumps(value), self.cluster.next_cas())
