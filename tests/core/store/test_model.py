"""A stateful model test: random sequences of writes, CAS replaces, removes, counters and
(committed or rolled-back) transactions must leave every adapter exactly where a dict would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from couchbase_fake import FakeCluster
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from kervan.store import CasMismatch, DocumentExists, DocumentNotFound, Query, Store, declare_kind
from kervan.store.couchbase import CouchbaseStore
from kervan.store.sqlite import SqliteStore

declare_kind("widget", indexes=["color", "size", "active", "meta.rank", "name"])

KEYS = st.sampled_from(["a", "b", "c"])
BODIES = st.fixed_dictionaries(
    {"color": st.sampled_from(["red", "blue"]), "size": st.integers(0, 3)}
)
FACTORIES: dict[str, Callable[[], Store]] = {
    "sqlite": lambda: SqliteStore(":memory:"),
    "couchbase-fake": lambda: CouchbaseStore(FakeCluster()),
}


class Boom(Exception):
    pass


def machine(factory: Callable[[], Store]) -> type[RuleBasedStateMachine]:
    class StoreModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store = factory()
            self.t = self.store.tenant("acme")
            self.docs: dict[str, dict[str, Any]] = {}
            self.cas: dict[str, int] = {}  # the CAS of the latest version we saw
            self.stale: dict[str, int] = {}  # a CAS of some older version
            self.counters: dict[str, int] = {}

        def _saw(self, key: str, cas: int) -> None:
            if key in self.cas:
                self.stale[key] = self.cas[key]
            self.cas[key] = cas

        @rule(key=KEYS, body=BODIES)
        def insert(self, key: str, body: dict[str, Any]) -> None:
            if key in self.docs:
                with pytest.raises(DocumentExists):
                    self.t.insert("widget", key, body)
                return
            self._saw(key, self.t.insert("widget", key, body).cas)
            self.docs[key] = body

        @rule(key=KEYS, body=BODIES)
        def upsert(self, key: str, body: dict[str, Any]) -> None:
            self._saw(key, self.t.upsert("widget", key, body).cas)
            self.docs[key] = body

        @rule(key=KEYS, body=BODIES, mode=st.sampled_from(["none", "current", "stale"]))
        def replace(self, key: str, body: dict[str, Any], mode: str) -> None:
            cas = {"none": None, "current": self.cas.get(key), "stale": self.stale.get(key)}[mode]
            if key not in self.docs:
                with pytest.raises(DocumentNotFound):
                    self.t.replace("widget", key, body, cas=cas)
            elif mode == "stale" and cas is not None:
                with pytest.raises(CasMismatch):
                    self.t.replace("widget", key, body, cas=cas)
            else:
                self._saw(key, self.t.replace("widget", key, body, cas=cas).cas)
                self.docs[key] = body

        @rule(key=KEYS)
        def remove(self, key: str) -> None:
            if key not in self.docs:
                with pytest.raises(DocumentNotFound):
                    self.t.remove("widget", key)
                return
            self.t.remove("widget", key)
            del self.docs[key]

        @rule(name=st.sampled_from(["n", "m"]), delta=st.integers(0, 3))
        def counter(self, name: str, delta: int) -> None:
            expected = self.counters.get(name, 0) + delta
            assert self.t.counter(name, delta) == expected
            self.counters[name] = expected

        @rule(
            writes=st.lists(st.tuples(KEYS, st.one_of(st.none(), BODIES)), max_size=4),
            bump=st.booleans(),
            fail=st.booleans(),
        )
        def transaction(self, writes: list, bump: bool, fail: bool) -> None:
            docs, counters = dict(self.docs), dict(self.counters)
            try:
                with self.t.transaction() as tx:
                    if bump:
                        counters["n"] = counters.get("n", 0) + 1
                        assert tx.counter("n") == counters["n"]
                    for key, body in writes:
                        if body is not None:
                            tx.upsert("widget", key, body)
                            docs[key] = body
                        elif key in docs:
                            tx.remove("widget", key)
                            del docs[key]
                        seen = tx.get("widget", key)
                        assert (seen.body if seen else None) == docs.get(key)
                    if fail:
                        raise Boom
            except Boom:
                return
            self.docs, self.counters = docs, counters
            for key in {k for k, _ in writes} & set(docs):
                self._saw(key, self.t.get("widget", key).cas)  # type: ignore[union-attr]

        @invariant()
        def matches_the_model(self) -> None:
            for key in ("a", "b", "c"):
                doc = self.t.get("widget", key)
                assert (doc.body if doc else None) == self.docs.get(key)
            assert [d.key for d in self.t.query(Query("widget"))] == sorted(self.docs)
            reds = sorted(k for k, b in self.docs.items() if b["color"] == "red")
            assert [d.key for d in self.t.query(Query("widget", where={"color": "red"}))] == reds

        def teardown(self) -> None:
            self.store.close()

    return StoreModel


@pytest.mark.parametrize("adapter", sorted(FACTORIES))
def test_adapter_behaves_like_the_model(adapter: str) -> None:
    run_state_machine_as_test(
        machine(FACTORIES[adapter]),
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None),
    )
