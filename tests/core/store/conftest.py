"""Adapters under test: every contract test runs once per adapter here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from couchbase_fake import FakeCluster
from kervan.store import Store, declare_kind
from kervan.store.couchbase import CouchbaseStore
from kervan.store.sqlite import SqliteStore

declare_kind("widget", indexes=["color", "size", "active", "meta.rank", "name"])
declare_kind("gadget", indexes=["color"])


def _sqlite_file(tmp: Path) -> Store:
    return SqliteStore(str(tmp / "kervan.db"))


def _sqlite_memory(tmp: Path) -> Store:
    return SqliteStore(":memory:")


def _couchbase_fake(tmp: Path) -> Store:
    return CouchbaseStore(FakeCluster(), "kervan", "kervan")


def _couchbase_live(tmp: Path) -> Store:
    """A real cluster when ``KERVAN_COUCHBASE_URL`` is set (one fresh scope per test);
    otherwise these tests are reported as skipped, never passed."""
    url = os.environ.get("KERVAN_COUCHBASE_URL")
    if not url:
        pytest.skip("live Couchbase: set KERVAN_COUCHBASE_URL (+ KERVAN_COUCHBASE_USER/PASSWORD)")
    scope = f"t{uuid.uuid4().hex[:12]}"
    return CouchbaseStore.connect(f"{url}{'&' if '?' in url else '?'}scope={scope}")


ADAPTERS: dict[str, Callable[[Path], Store]] = {
    "sqlite-file": _sqlite_file,
    "sqlite-memory": _sqlite_memory,
    "couchbase-fake": _couchbase_fake,
    "couchbase-live": _couchbase_live,
}


def register_adapter(name: str, factory: Callable[[Path], Store]) -> None:
    ADAPTERS[name] = factory


@pytest.fixture(params=sorted(ADAPTERS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = ADAPTERS[request.param](tmp_path)
    yield opened
    if request.param == "couchbase-live":
        assert isinstance(opened, CouchbaseStore)
        opened.cluster.bucket(opened.bucket_name).collections().drop_scope(opened.scope_name)
    opened.close()
