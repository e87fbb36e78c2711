"""The store contract: every adapter in ``conftest.ADAPTERS`` must pass all of these."""

from __future__ import annotations

import pytest
from kervan.store import (
    CasMismatch,
    DocumentExists,
    DocumentNotFound,
    Query,
    Store,
    StoreError,
    UndeclaredIndex,
)


def test_insert_then_get_returns_body_and_cas(store: Store) -> None:
    t = store.tenant("acme")
    doc = t.insert("widget", "w1", {"color": "red", "size": 3})
    got = t.get("widget", "w1")
    assert got is not None
    assert got.body == {"color": "red", "size": 3}
    assert got.cas == doc.cas
    assert (got.kind, got.key) == ("widget", "w1")


def test_get_missing_is_none(store: Store) -> None:
    assert store.tenant("acme").get("widget", "nope") is None


def test_insert_twice_raises_document_exists(store: Store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "w1", {"color": "red"})
    with pytest.raises(DocumentExists):
        t.insert("widget", "w1", {"color": "blue"})
    assert t.get("widget", "w1").body == {"color": "red"}  # type: ignore[union-attr]


def test_body_is_a_fresh_dict_every_time(store: Store) -> None:
    t = store.tenant("acme")
    body = {"color": "red", "tags": ["a"]}
    doc = t.insert("widget", "w1", body)
    body["color"] = "changed by caller"
    doc.body["tags"].append("mutated")
    first = t.get("widget", "w1")
    assert first is not None
    first.body["color"] = "mutated too"
    again = t.get("widget", "w1")
    assert again is not None and again.body == {"color": "red", "tags": ["a"]}


def test_replace_with_current_cas_succeeds_and_cas_grows(store: Store) -> None:
    t = store.tenant("acme")
    doc = t.insert("widget", "w1", {"color": "red"})
    new = t.replace("widget", "w1", {"color": "blue"}, cas=doc.cas)
    assert new.cas != doc.cas and new.cas > doc.cas
    assert t.get("widget", "w1").body == {"color": "blue"}  # type: ignore[union-attr]


def test_replace_with_stale_cas_raises_and_keeps_body(store: Store) -> None:
    t = store.tenant("acme")
    doc = t.insert("widget", "w1", {"color": "red"})
    t.replace("widget", "w1", {"color": "blue"})
    with pytest.raises(CasMismatch):
        t.replace("widget", "w1", {"color": "green"}, cas=doc.cas)
    assert t.get("widget", "w1").body == {"color": "blue"}  # type: ignore[union-attr]


def test_replace_missing_raises_not_found(store: Store) -> None:
    with pytest.raises(DocumentNotFound):
        store.tenant("acme").replace("widget", "nope", {"color": "red"})


def test_upsert_creates_and_overwrites(store: Store) -> None:
    t = store.tenant("acme")
    a = t.upsert("widget", "w1", {"color": "red"})
    b = t.upsert("widget", "w1", {"color": "blue"})
    assert b.cas != a.cas
    assert t.get("widget", "w1").body == {"color": "blue"}  # type: ignore[union-attr]


def test_remove_with_cas_and_missing(store: Store) -> None:
    t = store.tenant("acme")
    doc = t.insert("widget", "w1", {"color": "red"})
    t.replace("widget", "w1", {"color": "blue"})
    with pytest.raises(CasMismatch):
        t.remove("widget", "w1", cas=doc.cas)
    t.remove("widget", "w1")
    assert t.get("widget", "w1") is None
    with pytest.raises(DocumentNotFound):
        t.remove("widget", "w1")


def test_recreated_document_never_reuses_an_old_cas(store: Store) -> None:
    t = store.tenant("acme")
    old = t.insert("widget", "w1", {"color": "red"})
    t.remove("widget", "w1")
    t.insert("widget", "w1", {"color": "blue"})
    with pytest.raises(CasMismatch):
        t.replace("widget", "w1", {"color": "green"}, cas=old.cas)


def test_update_retries_read_modify_write(store: Store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "w1", {"size": 1})
    doc = t.update("widget", "w1", lambda b: {**b, "size": b["size"] + 1})
    assert doc is not None and doc.body == {"size": 2}
    unchanged = t.update("widget", "w1", lambda b: None)
    assert unchanged is not None and unchanged.cas == doc.cas


def test_get_many_returns_only_present_keys(store: Store) -> None:
    t = store.tenant("acme")
    t.upsert_many("widget", {f"w{i}": {"size": i} for i in range(5)})
    got = t.get_many("widget", ["w1", "w3", "missing", "w1"])
    assert sorted(got) == ["w1", "w3"]
    assert got["w3"].body == {"size": 3}


def test_upsert_many_writes_every_item(store: Store) -> None:
    t = store.tenant("acme")
    t.upsert_many("widget", {f"w{i:03}": {"size": i, "color": "red"} for i in range(120)})
    assert t.count(Query("widget", where={"color": "red"})) == 120
    t.upsert_many("widget", {})


def test_kinds_are_separate_namespaces(store: Store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "k", {"color": "red"})
    t.insert("gadget", "k", {"color": "blue"})
    assert t.get("widget", "k").body == {"color": "red"}  # type: ignore[union-attr]
    assert [d.key for d in t.query(Query("gadget", where={"color": "red"}))] == []


def _seed(store: Store) -> None:
    t = store.tenant("acme")
    rows = {
        "a": {"color": "red", "size": 3, "active": True, "meta": {"rank": 2}, "name": "Ayşe"},
        "b": {"color": "blue", "size": 1, "active": False, "meta": {"rank": 1}},
        "c": {"color": "red", "size": 2, "active": True, "meta": {"rank": 3}, "name": "Şule"},
        "d": {"color": "green", "size": 10, "active": True, "name": None},
        "e": {"color": "red", "size": 2.5, "active": False, "meta": {"rank": 5}},
    }
    for key, body in rows.items():
        t.insert("widget", key, body)


def _keys(store: Store, q: Query) -> list[str]:
    return [d.key for d in store.tenant("acme").query(q)]


def test_query_equality_and_in(store: Store) -> None:
    _seed(store)
    assert _keys(store, Query("widget", where={"color": "red"})) == ["a", "c", "e"]
    assert _keys(store, Query("widget", where={"color": ["blue", "green"]})) == ["b", "d"]
    assert _keys(store, Query("widget", where={"color": "red", "active": True})) == ["a", "c"]
    assert _keys(store, Query("widget", where={"color": []})) == []


def test_query_on_nested_bool_and_null_fields(store: Store) -> None:
    _seed(store)
    assert _keys(store, Query("widget", where={"active": False})) == ["b", "e"]
    assert _keys(store, Query("widget", where={"meta.rank": 3})) == ["c"]
    # missing and null both count as None
    assert _keys(store, Query("widget", where={"name": None})) == ["b", "d", "e"]
    assert _keys(store, Query("widget", where={"name": ["Ayşe", None]})) == ["a", "b", "d", "e"]


def test_query_range_order_limit_offset(store: Store) -> None:
    _seed(store)
    q = Query("widget", range=("size", 2, 3), order_by="size")
    assert _keys(store, q) == ["c", "e", "a"]
    assert _keys(store, Query("widget", range=("size", 2, None), order_by="-size")) == [
        "d",
        "a",
        "e",
        "c",
    ]
    assert _keys(store, Query("widget", order_by="-size", limit=2, offset=1)) == ["a", "e"]
    assert _keys(store, Query("widget", order_by="meta.rank")) == ["d", "b", "a", "c", "e"]
    assert _keys(store, Query("widget", limit=2)) == ["a", "b"]


def test_query_ties_are_broken_by_key_in_the_order_direction(store: Store) -> None:
    _seed(store)
    assert _keys(store, Query("widget", where={"color": "red"}, order_by="color")) == [
        "a",
        "c",
        "e",
    ]
    assert _keys(store, Query("widget", order_by="-active")) == ["d", "c", "a", "e", "b"]


def test_count_ignores_paging(store: Store) -> None:
    _seed(store)
    assert store.tenant("acme").count(Query("widget", where={"color": "red"}, limit=1)) == 3
    assert store.tenant("acme").count(Query("widget")) == 5


def test_iter_query_pages_through_everything(store: Store) -> None:
    t = store.tenant("acme")
    t.upsert_many("widget", {f"w{i:03}": {"size": i} for i in range(23)})
    keys = [d.key for d in t.iter_query(Query("widget", order_by="size"), page_size=5)]
    assert keys == [f"w{i:03}" for i in range(23)]


def test_query_on_undeclared_field_names_the_field_and_kind(store: Store) -> None:
    with pytest.raises(UndeclaredIndex, match=r"'weight'.*'widget'"):
        store.tenant("acme").query(Query("widget", where={"weight": 1}))
    with pytest.raises(UndeclaredIndex):
        store.tenant("acme").count(Query("widget", order_by="-weight"))


def test_counter_starts_at_initial_plus_delta_and_is_per_tenant(store: Store) -> None:
    a, b = store.tenant("acme"), store.tenant("beta")
    assert a.counter("inv", initial=100) == 101
    assert a.counter("inv", initial=100) == 102
    assert a.counter("inv", delta=5) == 107
    assert b.counter("inv") == 1


def test_transaction_commits_docs_and_counters_together(store: Store) -> None:
    t = store.tenant("acme")
    with t.transaction() as tx:
        n = tx.counter("series-KRV")
        tx.insert("widget", f"inv{n}", {"size": n})
        assert tx.get("widget", f"inv{n}") is not None
    assert t.get("widget", "inv1") is not None
    assert t.counter("series-KRV") == 2


def test_transaction_rolls_back_everything_on_error(store: Store) -> None:
    t = store.tenant("acme")
    t.insert("widget", "keep", {"size": 1})
    with pytest.raises(RuntimeError), t.transaction() as tx:
        tx.counter("series-KRV")
        tx.insert("widget", "new", {"size": 2})
        tx.replace("widget", "keep", {"size": 99})
        tx.remove("widget", "keep")
        raise RuntimeError("boom")
    assert t.get("widget", "new") is None
    assert t.get("widget", "keep").body == {"size": 1}  # type: ignore[union-attr]
    assert t.counter("series-KRV") == 1  # the rolled-back increment left no gap


def test_transaction_cas_and_existence_errors(store: Store) -> None:
    t = store.tenant("acme")
    doc = t.insert("widget", "w1", {"size": 1})
    t.replace("widget", "w1", {"size": 2})
    with pytest.raises(CasMismatch), t.transaction() as tx:
        tx.replace("widget", "w1", {"size": 3}, cas=doc.cas)
    with pytest.raises(DocumentExists), t.transaction() as tx:
        tx.insert("widget", "w1", {"size": 3})
    with t.transaction() as tx:
        cur = tx.get("widget", "w1")
        assert cur is not None
        tx.replace("widget", "w1", {"size": 4}, cas=cur.cas)
        tx.upsert("widget", "w2", {"size": 5})
        assert tx.get("widget", "missing") is None
    assert t.get("widget", "w1").body == {"size": 4}  # type: ignore[union-attr]
    assert t.get("widget", "w2").body == {"size": 5}  # type: ignore[union-attr]


def test_transaction_writes_are_visible_to_queries_after_commit(store: Store) -> None:
    t = store.tenant("acme")
    with t.transaction() as tx:
        tx.insert("widget", "w1", {"color": "teal"})
        tx.upsert("widget", "w2", {"color": "teal"})
    assert _keys(store, Query("widget", where={"color": "teal"})) == ["w1", "w2"]
    with t.transaction() as tx:
        tx.remove("widget", "w1")
        tx.replace("widget", "w2", {"color": "navy"})
    assert _keys(store, Query("widget", where={"color": "teal"})) == []
    assert _keys(store, Query("widget", where={"color": "navy"})) == ["w2"]


def test_blobs_round_trip_per_tenant(store: Store) -> None:
    a = store.tenant("acme")
    a.put_blob("label/1", b"\x00^XA^XZ\xff", "application/zpl")
    assert a.get_blob("label/1") == (b"\x00^XA^XZ\xff", "application/zpl")
    assert store.tenant("beta").get_blob("label/1") is None
    a.put_blob("label/1", b"%PDF", "application/pdf")
    assert a.get_blob("label/1") == (b"%PDF", "application/pdf")


def test_tenant_ids_lists_tenants_with_documents(store: Store) -> None:
    store.tenant("acme").insert("widget", "w", {})
    store.tenant("beta").insert("gadget", "g", {})
    store.platform().insert("widget", "p", {})
    assert {"acme", "beta", "_platform"} <= set(store.tenant_ids())


def test_bad_input_is_refused_with_a_store_error(store: Store) -> None:
    t = store.tenant("acme")
    with pytest.raises(StoreError):
        t.insert("widget", "", {})
    with pytest.raises(StoreError):
        t.insert("widget", "a::b", {})
    with pytest.raises(StoreError):
        t.insert("no spaces", "k", {})
    with pytest.raises(StoreError, match="not JSON") as info:
        t.insert("widget", "k", {"when": object()})
    assert "object at" not in str(info.value)
    with pytest.raises(StoreError):
        store.tenant("bad tenant!")
    with pytest.raises(StoreError):
        t.query(Query("widget", where={"color": {"nested": 1}}))


def test_cas_returned_inside_a_transaction_is_valid_after_commit(store: Store) -> None:
    # The engine saves an order in a transaction and later CAS-replaces it with that CAS.
    t = store.tenant("acme")
    t.insert("widget", "w1", {"size": 1})
    with t.transaction() as tx:
        current = tx.get("widget", "w1")
        assert current is not None
        cas = tx.replace("widget", "w1", {"size": 2}, cas=current.cas).cas
        new_cas = tx.insert("widget", "w2", {"size": 3}).cas
    assert t.get("widget", "w1").cas == cas  # type: ignore[union-attr]
    t.replace("widget", "w1", {"size": 4}, cas=cas)
    t.replace("widget", "w2", {"size": 5}, cas=new_cas)
    with pytest.raises(CasMismatch):
        t.replace("widget", "w1", {"size": 6}, cas=cas)
