from __future__ import annotations

import pytest
from kervan.engine import Engine
from kervan.store import open_store

from .fakes import Clock, Provider, Tenants, World


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "couchbase-fake"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path}/kervan.db")
    else:
        from couchbase_fake import FakeCluster
        from kervan.store.couchbase import CouchbaseStore

        s = CouchbaseStore(FakeCluster(), "kervan", "kervan")
    yield s
    s.close()


@pytest.fixture
def engine(store, world, clock) -> Engine:
    return Engine(store=store, connectors=Provider(world, clock), tenants=Tenants(), clock=clock)
