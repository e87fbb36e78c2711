"""Properties every adapter must have: tenant isolation and query results that match the
plain-Python oracle in :mod:`kervan.store.matching` (which is SQLite's semantics)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.store import CasMismatch, DocumentExists, DocumentNotFound, Query, Store
from kervan.store.matching import matches, order_and_page

_run = itertools.count()
KEYS = st.sampled_from(["k1", "k2", "k3", "k4"])
COLORS = st.sampled_from(["red", "blue", "green"])
OPS = st.lists(
    st.tuples(
        st.sampled_from(["A", "B"]),
        st.sampled_from(["insert", "upsert", "replace", "remove", "tx_upsert", "tx_remove"]),
        KEYS,
        COLORS,
    ),
    max_size=25,
)
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _apply(store: Store, tenants: dict[str, str], op: tuple[str, str, str, str]) -> None:
    who, action, key, color = op
    t = store.tenant(tenants[who])
    body = {"owner": who, "color": color, "size": len(key)}
    try:
        if action in ("insert", "upsert", "replace", "remove"):
            getattr(t, action)("widget", key, *(() if action == "remove" else (body,)))
        else:
            with t.transaction() as tx:
                tx.counter("n")
                if action == "tx_upsert":
                    tx.upsert("widget", key, body)
                else:
                    tx.remove("widget", key)
    except (DocumentExists, DocumentNotFound, CasMismatch):
        pass


@PROPERTY
@given(ops=OPS)
def test_no_read_of_tenant_a_returns_a_document_of_tenant_b(store: Store, ops: list) -> None:
    run = next(_run)
    tenants = {"A": f"iso-a-{run}", "B": f"iso-b-{run}"}
    for op in ops:
        _apply(store, tenants, op)
    for who, tenant_id in tenants.items():
        t = store.tenant(tenant_id)
        seen = [t.get("widget", k) for k in ("k1", "k2", "k3", "k4")]
        seen += list(t.get_many("widget", ["k1", "k2", "k3", "k4"]).values())
        seen += t.query(Query("widget"))
        for color in ("red", "blue", "green"):
            seen += t.query(Query("widget", where={"color": color}, order_by="-size"))
        seen += t.query(Query("widget", range=("size", 0, 10)))
        with t.transaction() as tx:
            seen += [tx.get("widget", k) for k in ("k1", "k2", "k3", "k4")]
        assert all(d.body["owner"] == who for d in seen if d is not None)
        assert t.count(Query("widget")) == len(t.query(Query("widget")))


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.5, 2.5, -1.5]),
    st.sampled_from(["", "a", "b", "ç", "Şule", "Z", "10"]),
)
BODIES = st.dictionaries(
    st.sampled_from(["color", "size", "active", "name"]), SCALARS, max_size=4
).map(lambda b: {**b, "meta": {"rank": b.get("size")}} if "size" in b else b)
FIELDS = st.sampled_from(["color", "size", "active", "name", "meta.rank"])
QUERIES = st.builds(
    lambda where, rng, order, desc, limit, offset: Query(
        "widget",
        where=where,
        range=rng,
        order_by=None if order is None else ("-" if desc else "") + order,
        limit=limit,
        offset=offset,
    ),
    st.dictionaries(FIELDS, st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), max_size=2),
    st.one_of(st.none(), st.tuples(FIELDS, SCALARS, SCALARS)),
    st.one_of(st.none(), FIELDS),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 6)),
    st.integers(0, 3),
)


@PROPERTY
@given(bodies=st.lists(BODIES, max_size=12), queries=st.lists(QUERIES, min_size=1, max_size=5))
def test_query_results_match_the_oracle(
    store: Store, bodies: list[dict[str, Any]], queries: list[Query]
) -> None:
    t = store.tenant(f"oracle-{next(_run)}")
    docs = {f"d{i:02}": body for i, body in enumerate(bodies)}
    t.upsert_many("widget", docs)
    stored = t.get_many("widget", list(docs))
    for q in queries:
        expected = order_and_page(q, [d for d in stored.values() if matches(q, d.body)])
        assert [d.key for d in t.query(q)] == [d.key for d in expected], q
        assert t.count(q) == sum(1 for d in stored.values() if matches(q, d.body))


@PROPERTY
@given(
    bodies=st.lists(BODIES, max_size=12),
    queries=st.lists(QUERIES, min_size=1, max_size=4),
    page=st.integers(1, 4),
)
def test_keyset_pages_and_key_queries_agree_with_the_whole_query(
    store: Store, bodies: list[dict[str, Any]], queries: list[Query], page: int
) -> None:
    """Paging by keyset (each page after the last document of the one before), at any page
    size, walks exactly what one query returns, in its order, nulls and ties included; and a
    keys-only query names the same documents."""
    t = store.tenant(f"keyset-{next(_run)}")
    t.upsert_many("widget", {f"d{i:02}": body for i, body in enumerate(bodies)})
    for q in queries:
        whole = Query(q.kind, q.where, q.range, q.order_by)
        expected = [d.key for d in t.query(whole)]
        assert [d.key for d in t.iter_query(whole, page_size=page)] == expected, whole
        assert t.keys(q) == [d.key for d in t.query(q)], q
        limited = Query(q.kind, q.where, q.range, q.order_by, limit=3)
        assert [d.key for d in t.iter_query(limited, page_size=page)] == expected[:3]
