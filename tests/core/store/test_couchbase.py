"""What is particular to the Couchbase adapter, on the fake cluster (and the real SDK's
connect path, which needs no server to fail fast)."""

from __future__ import annotations

import threading
import time

import pytest
from couchbase.exceptions import (
    CasMismatchException,
    DocumentExistsException,
    DocumentNotFoundException,
    FeatureUnavailableException,
    InvalidArgumentException,
    UnAmbiguousTimeoutException,
)
from couchbase.options import DeltaValue, IncrementOptions, ReplaceOptions, SignedInt64
from couchbase_fake import FakeCluster
from kervan.store import CasMismatch, Query, StoreError, StoreUnavailable, declare_kind, open_store
from kervan.store.couchbase import CouchbaseStore

declare_kind("widget", indexes=["color", "size", "active", "meta.rank", "name"])


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def store(cluster: FakeCluster) -> CouchbaseStore:
    return CouchbaseStore(cluster, "kervan", "kervan")


def raw(cluster: FakeCluster, collection: str) -> dict:
    return {k: v[0] for k, v in cluster.data.get(("kervan", "kervan", collection), {}).items()}


def test_fake_speaks_sdk_signatures_and_raises_the_wheels_exceptions(cluster) -> None:
    cluster.bucket("b").collections().create_collection("_default", "c")
    coll = cluster.bucket("b").scope("_default").collection("c")
    res = coll.insert("k", {"a": 1})
    with pytest.raises(DocumentExistsException):
        coll.insert("k", {"a": 2})
    with pytest.raises(CasMismatchException):
        coll.replace("k", {"a": 3}, ReplaceOptions(cas=res.cas + 1))
    coll.replace("k", {"a": 3}, ReplaceOptions(cas=res.cas))
    assert coll.get("k").content_as[dict] == {"a": 3}
    with pytest.raises(DocumentNotFoundException):
        coll.get("nope")
    with pytest.raises(InvalidArgumentException):  # the SDK wants DeltaValue, not int
        coll.binary().increment("n", IncrementOptions(delta=2))
    first = coll.binary().increment(
        "n", IncrementOptions(initial=SignedInt64(10), delta=DeltaValue(2))
    )
    assert first.content == 10  # created at `initial`, without the delta, as the SDK does
    with pytest.raises(UnAmbiguousTimeoutException):  # unknown collection: the SDK times out
        cluster.bucket("b").scope("_default").collection("missing").get("k")
    with pytest.raises(FeatureUnavailableException):
        cluster.query("SELECT 1")


def test_documents_live_in_a_collection_per_kind_under_tenant_keys(store, cluster) -> None:
    store.tenant("acme").insert("widget", "w1", {"color": "red"})
    store.tenant("beta").insert("widget", "w1", {"color": "blue"})
    docs = raw(cluster, "widget")
    assert set(docs) == {"acme::w1", "beta::w1"}
    assert '"t": "acme"' in docs["acme::w1"] and '"color": "red"' in docs["acme::w1"]
    index = raw(cluster, "kervan_index")
    assert any(k.startswith("acme::widget::color::") for k in index)
    assert all(k.split("::")[0] in ("acme", "beta") for k in index)


def test_collections_are_created_on_start_and_for_later_kinds(store, cluster) -> None:
    made = cluster.scopes["kervan"]["kervan"]
    assert {"widget", "kervan_index", "kervan_dir", "kervan_counters", "kervan_meta"} <= made
    declare_kind("latecomer", indexes=["x"])
    store.tenant("acme").insert("latecomer", "a", {"x": 1})
    assert "latecomer" in cluster.scopes["kervan"]["kervan"]
    CouchbaseStore(cluster, "kervan", "kervan")  # a second process finds them made: no error


def test_counters_are_sdk_binary_counters(store, cluster) -> None:
    t = store.tenant("acme")
    assert t.counter("inv", initial=100) == 101
    assert t.counter("inv", delta=4) == 105
    assert raw(cluster, "kervan_counters") == {"acme::inv": "105"}
    with pytest.raises(StoreError):
        t.counter("neg", delta=-1)
    with t.transaction() as tx:
        assert tx.counter("inv") == 106
    assert t.counter("inv") == 107


def test_change_between_read_and_commit_is_a_cas_mismatch(store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "w1", {"size": 1})
    with pytest.raises(CasMismatch), t.transaction() as tx:
        seen = tx.get("widget", "w1")
        tx.insert("widget", "w2", {"size": seen.body["size"] + 1})  # type: ignore[union-attr]
        t.replace("widget", "w1", {"size": 50})  # someone else, meanwhile
    assert t.get("widget", "w2") is None
    with pytest.raises(CasMismatch), t.transaction() as tx:
        n = tx.counter("seq")
        tx.insert("widget", f"inv{n}", {"size": n})
        t.counter("seq")  # a concurrent increment outside the transaction
    assert t.get("widget", "inv1") is None


def test_sdk_retrying_the_logic_applies_it_once(store, cluster) -> None:
    t = store.tenant("acme")
    cluster.conflicts = 2
    with t.transaction() as tx:
        n = tx.counter("seq")
        tx.insert("widget", "a", {"color": "red", "size": n})
    assert cluster.transaction_attempts >= 3
    assert t.counter("seq") == 2
    assert [d.key for d in t.query(Query("widget", where={"color": "red"}))] == ["a"]
    assert t.count(Query("widget")) == 1


def test_threads_updating_one_document_lose_nothing(store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "shared", {"size": 0})

    def work() -> None:
        for _ in range(25):
            t.update("widget", "shared", lambda b: {**b, "size": b["size"] + 1}, attempts=1000)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert t.get("widget", "shared").body["size"] == 100  # type: ignore[union-attr]
    assert [d.key for d in t.query(Query("widget", where={"size": 100}))] == ["shared"]


def test_unavailable_cluster_is_store_unavailable(store, cluster) -> None:
    cluster.unavailable = True
    t = store.tenant("acme")
    for call in (
        lambda: t.get("widget", "w"),
        lambda: t.insert("widget", "w", {}),
        lambda: t.counter("c"),
        lambda: t.query(Query("widget")),
    ):
        with pytest.raises(StoreUnavailable) as info:
            call()
        assert info.value.retryable


def test_index_declared_later_is_backfilled(store) -> None:
    declare_kind("gizmo", indexes=["a"])
    t = store.tenant("acme")
    t.upsert_many("gizmo", {"g1": {"a": 1, "b": "x"}, "g2": {"a": 2, "b": "y"}})
    declare_kind("gizmo", indexes=["b"])
    assert [d.key for d in t.query(Query("gizmo", where={"b": "y"}))] == ["g2"]
    t.upsert("gizmo", "g3", {"a": 3, "b": "y"})
    assert [d.key for d in t.query(Query("gizmo", where={"b": "y"}))] == ["g2", "g3"]


def test_reserved_kind_names_are_refused(store) -> None:
    with pytest.raises(StoreError, match="reserved"):
        store.tenant("acme").insert("kervan_index", "x", {})


def test_missing_cluster_fails_fast_with_a_clear_message(monkeypatch) -> None:
    monkeypatch.setenv("KERVAN_COUCHBASE_USER", "kervan")
    monkeypatch.setenv("KERVAN_COUCHBASE_PASSWORD", "not-a-real-password")
    start = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        open_store("couchbase://127.0.0.1?bucket=kervan&timeout=1")
    assert time.monotonic() - start < 15
    message = str(info.value)
    assert "no Couchbase cluster answered at couchbase://127.0.0.1" in message
    assert "not-a-real-password" not in message


def test_numbering_under_contention_is_gapless_with_retries(store) -> None:
    """The invoice-numbering pattern on the optimistic transactions: a conflict is a
    CasMismatch, the caller runs the step again, and numbers stay gapless and unique."""
    t = store.tenant("acme")
    taken: list[int] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        for i in range(15):
            while True:
                try:
                    with t.transaction() as tx:
                        n = tx.counter("series")
                        tx.insert("widget", f"inv-{n}", {"by": f"{thread}.{i}"})
                    break
                except CasMismatch:
                    continue  # what the engine does with a retryable error
            with lock:
                taken.append(n)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(taken) == list(range(1, 61))
    assert t.count(Query("widget")) == 60


def test_url_parameters_split_between_kervan_and_the_sdk() -> None:
    from kervan.store.opening import couchbase_params

    connstr, ours = couchbase_params(
        "couchbases://cb1,cb2?bucket=shop&scope=prod&timeout=2&network=external"
    )
    assert connstr == "couchbases://cb1,cb2?network=external"
    assert ours == {"bucket": "shop", "scope": "prod", "timeout": "2"}
    assert couchbase_params("couchbase://localhost") == ("couchbase://localhost", {})
