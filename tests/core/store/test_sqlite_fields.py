"""The SQLite adapter's side tables: declared fields as real columns, kept in step with the
documents, filled for documents written before, and written only where a value changed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.store import Query, declare_kind
from kervan.store.sqlite import SqliteStore

declare_kind("fwidget", indexes=["color", "size", "meta.rank", "tags"])


def _statements(store: SqliteStore) -> list[str]:
    seen: list[str] = []
    store.conn().set_trace_callback(seen.append)
    return seen


def _side(store: SqliteStore, kind: str) -> dict[str, tuple]:
    rows = store.conn().execute(f'SELECT * FROM "fields_{kind}" WHERE tenant = ?', ("acme",))
    return {row[1]: tuple(row[2:]) for row in rows}


def test_an_update_writes_only_the_columns_that_changed(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    t.insert("fwidget", "w", {"color": "red", "size": 1, "note": "a"})
    seen = _statements(s)
    t.replace("fwidget", "w", {"color": "red", "size": 1, "note": "b"})  # no indexed change
    assert not [q for q in seen if q.startswith('UPDATE "fields_fwidget"')]
    t.replace("fwidget", "w", {"color": "blue", "size": 1, "note": "b"})
    updates = [q for q in seen if q.startswith('UPDATE "fields_fwidget"')]
    assert len(updates) == 1 and '"color" = ' in updates[0] and '"size"' not in updates[0]
    assert [d.key for d in t.query(Query("fwidget", where={"color": "blue"}))] == ["w"]
    assert t.query(Query("fwidget", where={"color": "red"})) == []
    t.remove("fwidget", "w")
    assert _side(s, "fwidget") == {}
    s.close()


def test_columns_hold_what_json_extract_would(tmp_path: Path) -> None:
    """Booleans as 0/1, a missing or null value as NULL, a list or object as JSON text (it
    matches no scalar filter), nested paths by their dotted name."""
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    body = {"color": True, "size": 2.5, "meta": {"rank": 3}, "tags": ["a", "ğ"]}
    t.insert("fwidget", "w", body)
    got = _side(s, "fwidget")["w"]
    expected = s.conn().execute(
        "SELECT json_extract(?, '$.color'), json_extract(?, '$.size'), "
        "json_extract(?, '$.meta.rank'), json_extract(?, '$.tags')",
        [json.dumps(body, ensure_ascii=False)] * 4,
    )
    assert got == tuple(expected.fetchone())
    assert [d.key for d in t.query(Query("fwidget", where={"color": True}))] == ["w"]
    assert [d.key for d in t.query(Query("fwidget", where={"meta.rank": 3}))] == ["w"]
    assert t.query(Query("fwidget", where={"tags": "a"})) == []
    s.close()


def test_a_store_written_with_expression_indexes_is_moved_to_side_tables(tmp_path: Path) -> None:
    """A file from before the side tables: its expression indexes on the documents go, and
    the side table is filled from the documents, so queries find what was there."""
    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(
        """
        CREATE TABLE docs (tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
            body TEXT NOT NULL, cas INTEGER NOT NULL, PRIMARY KEY (tenant, kind, key))
            WITHOUT ROWID;
        CREATE INDEX "ix_fwidget__color" ON docs (tenant, kind, json_extract(body, '$.color'))
            WHERE kind = 'fwidget';
        """
    )
    for i in range(30):
        body = {"color": "red" if i % 3 else "blue", "size": i, "meta": {"rank": i % 5}}
        old.execute(
            "INSERT INTO docs VALUES ('acme', 'fwidget', ?, ?, ?)",
            (f"w{i}", json.dumps(body), i + 1),
        )
    old.close()
    s = SqliteStore(path)
    tables = {
        (r[0], r[1])
        for r in s.conn().execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
    }
    assert ("ix_fwidget__color", "docs") not in tables
    assert ("ix_fwidget__color", "fields_fwidget") in tables
    t = s.tenant("acme")
    blue = t.query(Query("fwidget", where={"color": "blue"}, order_by="-size"))
    assert [d.key for d in blue] == [f"w{i}" for i in range(27, -1, -3)]
    assert t.count(Query("fwidget", where={"meta.rank": 0})) == 6
    s.close()


def test_a_field_declared_later_gets_its_column_filled(tmp_path: Path) -> None:
    declare_kind("fgadget", indexes=["color"])
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    for i in range(5):
        t.insert("fgadget", f"g{i}", {"color": "red", "weight": i})
    declare_kind("fgadget", indexes=["weight"])  # a plugin declares one more field
    heavy = t.query(Query("fgadget", range=("weight", 3, None)))
    assert [d.key for d in heavy] == ["g3", "g4"]
    t.replace("fgadget", "g0", {"color": "red", "weight": 9})
    assert t.keys(Query("fgadget", where={"color": "red"}, order_by="-weight", limit=1)) == ["g0"]
    s.close()


def test_a_side_table_made_in_a_rolled_back_transaction_is_made_again(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    declare_kind("fthing", indexes=["state"])  # declared after the store opened
    t = s.tenant("acme")
    with pytest.raises(RuntimeError), t.transaction() as tx:
        tx.insert("fthing", "a", {"state": "new"})
        raise RuntimeError("undo")
    assert "fthing" not in s._tables
    t.insert("fthing", "b", {"state": "new"})
    assert "fthing" in s._tables
    assert t.keys(Query("fthing", where={"state": "new"})) == ["b"]
    s.close()


@given(
    writes=st.lists(
        st.tuples(
            st.sampled_from(["w1", "w2", "w3"]),
            st.one_of(st.none(), st.sampled_from(["red", "blue"])),
            st.one_of(st.none(), st.integers(-3, 3), st.booleans()),
            st.booleans(),  # remove instead
        ),
        max_size=25,
    )
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_side_table_always_agrees_with_the_documents(tmp_path_factory, writes) -> None:
    """Whatever sequence of writes and removals: every column equals ``json_extract`` on the
    document's body, and no row outlives its document."""
    s = SqliteStore(str(tmp_path_factory.mktemp("side") / "k.db"))
    t = s.tenant("acme")
    try:
        for key, color, size, remove in writes:
            if remove:
                if t.get("fwidget", key) is not None:
                    t.remove("fwidget", key)
                continue
            body: dict = {"size": size}
            if color is not None:
                body["color"] = color
            t.upsert("fwidget", key, body)
        expected = {
            row[0]: tuple(row[1:])
            for row in s.conn().execute(
                "SELECT key, json_extract(body, '$.color'), json_extract(body, '$.size'), "
                "json_extract(body, '$.meta.rank'), json_extract(body, '$.tags') FROM docs "
                "WHERE tenant = 'acme' AND kind = 'fwidget'"
            )
        }
        assert _side(s, "fwidget") == expected
    finally:
        s.close()


def test_a_cas_checked_write_after_ours_does_not_read_the_row_back(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    cas = t.insert("fwidget", "w", {"color": "red", "size": 1}).cas
    seen = _statements(s)
    cas = t.replace("fwidget", "w", {"color": "blue", "size": 1}, cas=cas).cas
    with t.transaction() as tx:  # twice in one transaction: the first one's row is known
        cas = tx.replace("fwidget", "w", {"color": "blue", "size": 2}, cas=cas).cas
        cas = tx.replace("fwidget", "w", {"color": "red", "size": 2}, cas=cas).cas
    assert not [q for q in seen if q.startswith('SELECT "color"')]
    assert len([q for q in seen if q.startswith('UPDATE "fields_fwidget"')]) == 3
    t.replace("fwidget", "w", {"color": "red", "size": 3})  # no CAS: the row is read
    assert [q for q in seen if q.startswith('SELECT "color"')]
    assert _side(s, "fwidget") == {"w": ("red", 3, None, None)}
    s.close()


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([0, 1]),  # which store (process) writes
            st.sampled_from(["w1", "w1", "w1", "w2"]),
            st.sampled_from(["replace", "replace", "rollback", "remove", "plain"]),
            st.sampled_from(["red", "blue"]),
            st.integers(0, 1),
        ),
        max_size=30,
    )
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_rows_known_from_earlier_writes_never_go_stale(tmp_path_factory, steps) -> None:
    """Two stores on one file (two processes) write the same documents with CAS, some in
    transactions that roll back, some removed and created again: the rows each store
    remembers (so as not to read them back) never leave the side table out of step."""
    path = str(tmp_path_factory.mktemp("known") / "k.db")
    stores = [SqliteStore(path), SqliteStore(path)]
    try:
        for who, key, how, color, size in steps:
            t = stores[who].tenant("acme")
            body = {"color": color, "size": size}
            doc = t.get("fwidget", key)
            if doc is None:
                if how != "remove":
                    t.insert("fwidget", key, body)
                continue
            if how == "remove":
                t.remove("fwidget", key, cas=doc.cas)
            elif how == "plain":
                t.upsert("fwidget", key, body)
            elif how == "rollback":
                with pytest.raises(RuntimeError), t.transaction() as tx:
                    tx.replace("fwidget", key, body, cas=doc.cas)
                    raise RuntimeError("undo")
            else:
                with t.transaction() as tx:
                    cas = tx.replace("fwidget", key, body, cas=doc.cas).cas
                    tx.replace("fwidget", key, {**body, "size": size + 1}, cas=cas)
        expected = {
            row[0]: tuple(row[1:])
            for row in stores[0]
            .conn()
            .execute(
                "SELECT key, json_extract(body, '$.color'), json_extract(body, '$.size'), "
                "json_extract(body, '$.meta.rank'), json_extract(body, '$.tags') FROM docs "
                "WHERE tenant = 'acme' AND kind = 'fwidget'"
            )
        }
        assert _side(stores[0], "fwidget") == expected
    finally:
        for s in stores:
            s.close()
