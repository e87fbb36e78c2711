"""What is particular to the SQLite adapter: URLs, WAL, locking, index use."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.store import Query, StoreError, StoreUnavailable, declare_kind, open_store
from kervan.store import sqlite_sql as sql
from kervan.store.sqlite import SqliteStore

declare_kind("widget", indexes=["color", "size", "active", "meta.rank", "name"])


def test_open_store_urls_and_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("KERVAN_STORE_URL", raising=False)
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path / "home"))
    s = open_store()
    assert isinstance(s, SqliteStore) and s.path == str(tmp_path / "home" / "kervan.db")
    s.close()
    monkeypatch.setenv("KERVAN_STORE_URL", f"sqlite:///{tmp_path}/other/x.db")
    s = open_store()
    assert s.path == f"{tmp_path}/other/x.db"  # type: ignore[attr-defined]
    s.close()
    memory = open_store("sqlite://:memory:")
    memory.tenant("acme").insert("widget", "w", {})
    seen = []
    thread = threading.Thread(target=lambda: seen.append(memory.tenant("acme").get("widget", "w")))
    thread.start()
    thread.join()
    assert seen[0] is not None  # one database for every thread
    tmpdir = Path(memory.path).parent  # type: ignore[attr-defined]
    memory.close()
    assert not tmpdir.exists()
    with pytest.raises(StoreError, match="unknown store URL scheme 'postgres'"):
        open_store("postgres://user:pw@host/db")
    with pytest.raises(StoreError):
        open_store("sqlite://relative.db")


def test_wal_mode_and_closed_store(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    assert s.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # 1 = NORMAL: commits are atomic; the durable ones sync the log themselves (next test)
    assert s.conn().execute("PRAGMA synchronous").fetchone()[0] == 1
    s.close()
    with pytest.raises(StoreUnavailable):
        s.tenant("acme").get("widget", "w")


def test_a_transaction_that_moves_a_counter_is_synced_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A number handed out may leave for GİB at once: its commit must survive a power cut,
    so the log is fsync'ed after it commits (never before: the commit must be in it). Other
    commits are not synced (a lost one is a step run again)."""
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        # the commit is in the log when it is synced: a reader sees the new number already
        seen = sqlite3.connect(s.path).execute("SELECT value FROM counters").fetchall()
        synced.append((os.path.basename(path), bool(seen)))
        real_fsync(fd)

    monkeypatch.setattr("kervan.store.sqlite.os.fsync", fsync)
    t.insert("widget", "a", {"n": 1})
    t.replace("widget", "a", {"n": 2})
    with t.transaction() as tx:
        tx.upsert("widget", "b", {"n": 1})
    assert synced == []
    with t.transaction() as tx:
        tx.upsert("widget", "c", {"n": 1})
        assert tx.counter("invoice:KRA:2026") == 1
    assert synced == [("k.db-wal", True)]
    assert t.counter("other") == 1  # a counter on its own: its own durable transaction
    assert len(synced) == 2
    with t.transaction() as tx:  # asked for by the caller (a remote call relies on it)
        tx.upsert("widget", "d", {"n": 1})
        tx.require_durable()
    assert len(synced) == 3
    with pytest.raises(RuntimeError), t.transaction() as tx:  # rolled back: nothing to sync
        tx.counter("invoice:KRA:2026")
        raise RuntimeError("step failed")
    assert len(synced) == 3
    assert t.counter("invoice:KRA:2026", delta=0) == 1
    s.close()


def test_blobs_written_inside_a_transaction_roll_back_with_it(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    with t.transaction() as tx:
        assert tx.blobs_in_transaction
        tx.put_blob("label:o1:zpl", b"^XA^XZ", "text/plain")
    assert t.get_blob("label:o1:zpl") == (b"^XA^XZ", "text/plain")
    with pytest.raises(RuntimeError), t.transaction() as tx:
        tx.put_blob("label:o2:zpl", b"^XA^XZ", "text/plain")
        raise RuntimeError("conflict")
    assert t.get_blob("label:o2:zpl") is None
    s.close()


def test_writer_waits_for_a_lock_then_gives_up_retryably(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    s = SqliteStore(path, busy_timeout_ms=2000)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    done = []
    writer = threading.Thread(target=lambda: done.append(s.tenant("acme").counter("c")))
    writer.start()
    time.sleep(0.3)
    assert done == []  # waiting, not failing
    other.execute("COMMIT")
    writer.join(timeout=10)
    assert done == [1]
    impatient = SqliteStore(path, busy_timeout_ms=20)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailable) as info:
        impatient.tenant("acme").counter("c")
    assert info.value.retryable
    other.execute("ROLLBACK")
    other.close()
    s.close()
    impatient.close()


def _plan(store: SqliteStore, q: Query) -> str:
    text, params = sql.select(q, "acme", store._indexed)
    return " | ".join(r[3] for r in store.conn().execute("EXPLAIN QUERY PLAN " + text, params))


def test_queries_use_indexes_and_shape_indexes_avoid_sorting(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    t.upsert_many("widget", {f"w{i}": {"color": "red", "size": i} for i in range(50)})
    eq = Query("widget", where={"color": "red"})
    t.query(eq)
    plan = _plan(s, eq)
    # the side table's index finds the keys; each document is then read by its primary key
    assert "INDEX ix_widget__color " in plan and "SEARCH d USING PRIMARY KEY" in plan
    shaped = Query("widget", where={"color": "red"}, order_by="-size", limit=5)
    assert [d.key for d in t.query(shaped)] == ["w49", "w48", "w47", "w46", "w45"]
    plan = _plan(s, shaped)
    assert "ix_widget__color__size" in plan and "TEMP B-TREE" not in plan
    s.close()


def test_no_index_ddl_inside_a_transaction_that_may_roll_back(tmp_path: Path) -> None:
    s = SqliteStore(str(tmp_path / "k.db"))
    t = s.tenant("acme")
    q = Query("widget", where={"size": 1}, order_by="name")
    with pytest.raises(RuntimeError), t.transaction() as tx:
        tx.insert("widget", "w", {"size": 1})
        assert [d.key for d in t.query(q)] == ["w"]  # sees its own write, no index yet
        raise RuntimeError("roll back")
    t.query(q)
    names = {r[0] for r in s.conn().execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_widget__name__size" in names or "ix_widget__size__name" in names
    s.close()


@given(
    plan=st.lists(
        st.tuples(st.sampled_from(["alone", "tx", "rollback", "other"]), st.integers(1, 4)),
        min_size=1,
        max_size=12,
    )
)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_cas_values_never_repeat_across_transactions_rollbacks_and_connections(
    tmp_path_factory, plan
) -> None:
    """CAS is one counter read per transaction plus a running count (see ``next_cas``): no two
    committed versions share a value, whether written alone, in a transaction, after a rolled
    back one, or by another store on the same file (another process would be the same)."""
    path = str(tmp_path_factory.mktemp("cas") / "k.db")
    first, second = SqliteStore(path), SqliteStore(path)
    old = first.conn().execute("SELECT value FROM meta WHERE name = 'cas'").fetchone()[0]
    seen: list[int] = []
    try:
        for i, (how, writes) in enumerate(plan):
            ts = (second if how == "other" else first).tenant("acme")
            if how == "rollback":
                with pytest.raises(RuntimeError), ts.transaction() as tx:
                    for k in range(writes):
                        tx.upsert("widget", f"gone-{i}-{k}", {"n": k})
                    raise RuntimeError("undo")
            elif how == "tx":
                with ts.transaction() as tx:
                    seen += [tx.upsert("widget", f"w{i}-{k}", {"n": k}).cas for k in range(writes)]
            else:
                seen += [ts.upsert("widget", f"w{i}-{k}", {"n": k}).cas for k in range(writes)]
        stored = [d.cas for d in first.tenant("acme").iter_query(Query("widget"))]
        assert sorted(stored) == sorted(seen)  # what each write returned is what was kept
        assert len(set(seen)) == len(seen)
        assert seen == sorted(seen)  # they grow in the order of the commits
        assert all(old < cas < 2**53 for cas in seen)
    finally:
        first.close()
        second.close()


def test_a_connection_takes_a_new_cas_epoch_only_after_someone_else_committed(
    tmp_path: Path,
) -> None:
    """Between two of its own transactions with no other commit in between, a connection
    carries on counting from its last CAS without writing the ``meta`` counter (one page
    fewer per commit); once another connection (another process) has committed, or after a
    restart, it takes a fresh epoch, so values still grow in commit order."""
    path = str(tmp_path / "k.db")
    first, second = SqliteStore(path), SqliteStore(path)
    seen: list[str] = []
    first.conn().set_trace_callback(seen.append)
    try:
        a, b = first.tenant("acme"), second.tenant("acme")
        cas = [a.upsert("widget", "w1", {"n": 1}).cas]
        assert any(q.startswith("UPDATE meta") for q in seen)  # its first epoch
        seen.clear()
        cas.append(a.upsert("widget", "w2", {"n": 2}).cas)
        with a.transaction() as tx:
            cas.append(tx.upsert("widget", "w3", {"n": 3}).cas)
        assert not [q for q in seen if q.startswith("UPDATE meta")]
        assert cas == [cas[0], cas[0] + 1, cas[0] + 2]  # one epoch, counted on
        cas.append(b.upsert("widget", "w4", {"n": 4}).cas)  # another connection commits
        b.counter("seq")  # a commit without a CAS counts too
        seen.clear()
        cas.append(a.upsert("widget", "w5", {"n": 5}).cas)
        assert any(q.startswith("UPDATE meta") for q in seen)  # a fresh epoch
        first.close()
        third = SqliteStore(path)  # a restart: the epoch is read from the file again
        cas.append(third.tenant("acme").upsert("widget", "w6", {"n": 6}).cas)
        third.close()
        assert cas == sorted(cas) and len(set(cas)) == len(cas)
        stored = {d.key: d.cas for d in second.tenant("acme").iter_query(Query("widget"))}
        assert sorted(stored.values()) == cas
    finally:
        first.close()
        second.close()


def test_a_spent_epoch_moves_on_to_the_next_even_inside_a_transaction(
    tmp_path: Path, monkeypatch
) -> None:
    """An epoch holds 2**20 - 1 values; a connection counting on from its last commit may
    reach the end inside a transaction: it then takes the next epoch (above all of the
    spent one) rather than failing the transaction. Shown with 3 values per epoch."""
    import kervan.store.sqlite as adapter

    monkeypatch.setattr(adapter, "_CAS_SHIFT", 2)
    store = SqliteStore(str(tmp_path / "k.db"))
    try:
        ts = store.tenant("acme")
        cas = [ts.upsert("widget", f"a{i}", {"n": i}).cas for i in range(5)]
        with ts.transaction() as tx:
            cas += [tx.upsert("widget", f"b{i}", {"n": i}).cas for i in range(10)]
        ts.upsert_many("widget", {f"c{i}": {"n": i} for i in range(3)})
        many = sorted(ts.get("widget", f"c{i}").cas for i in range(3))
        assert many == list(range(many[0], many[0] + 3))  # one epoch, in a row
        cas += many
        assert cas == sorted(cas) and len(set(cas)) == len(cas)
        with pytest.raises(StoreError, match="writes in one statement"):
            ts.upsert_many("widget", {f"d{i}": {"n": i} for i in range(4)})
    finally:
        store.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5), json_values)
def test_a_write_returns_what_a_read_gives_without_parsing_it_back(body, later) -> None:
    """insert/replace/upsert return the stored document; the body is parsed from the stored
    text only when asked for (most callers want the new CAS), equal to a read and not tied to
    the caller's dict."""
    import kervan.store.sqlite as adapter

    store = open_store("sqlite:///:memory:")
    try:
        ts = store.tenant("t1")
        parsed = []
        real = adapter.loads
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(adapter, "loads", lambda text: parsed.append(1) or real(text))
            written = [ts.insert("k1", "a", body)]
            written.append(ts.replace("k1", "a", dict(body, z=later), cas=written[0].cas))
            written.append(ts.upsert("k1", "b", body))
            with ts.transaction() as tx:
                written.append(tx.replace("k1", "b", dict(body, z=later)))
            assert parsed == [], "nothing read back at the write"
            for doc in (written[1], written[3]):  # the last write of each
                assert doc == ts.get(doc.kind, doc.key) and ts.get(doc.kind, doc.key) == doc
            assert written[0] != ts.get("k1", "a")  # replaced since: another CAS
            assert written[2].body == body
        assert written[0].body == body and written[0].body is not body
        body["new key"] = 1  # the caller's dict changing later changes nothing written
        assert "new key" not in written[2].body and "new key" not in ts.get("k1", "b").body
        assert repr(written[1]).startswith("Doc(kind='k1', key='a'")
    finally:
        store.close()
