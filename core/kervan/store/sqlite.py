"""The embedded SQLite adapter: the default store, one file, no set-up.

Safe across threads and processes: every thread gets its own connection (WAL mode, so readers
never block the writer), every write runs under ``BEGIN IMMEDIATE`` (the write lock is taken
up front, so two writers never deadlock upgrading a read lock), and a busy database is waited
for (``busy_timeout``) and retried. CAS values come from one sequence in the ``meta`` table, so
they only grow and a removed-then-recreated document never reuses an old CAS (see
:meth:`SqliteStore.next_cas`).

Durability: commits are atomic and survive a crash of the process at once, but only a
*durable* transaction waits for the disk (an ``fsync`` of the write-ahead log, which makes it
and every commit before it survive a power cut). A transaction is durable when it moves a
counter (a document number may leave for GİB right after it) or when its caller asks
(:meth:`~kervan.store.port.Transaction.require_durable`: the engine does before a remote call
that relies on the commit). Any other commit lost to a power cut is a step the engine runs
again, as after a crash before its commit: steps are idempotent at their remotes. Measured on
the development machine: a synced commit costs 0.12 ms of CPU and 0.3 ms of wall time, an
unsynced one 0.03 and 0.05, and an order commits about ten times.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from . import sqlite_sql as sql
from .checks import (
    check_key,
    check_kind,
    check_query,
    check_tenant,
    column_value,
    dumps,
    loads,
    valid_field,
    valid_kind,
)
from .opening import private_dir, private_file
from .port import (
    CasMismatch,
    Doc,
    DocumentExists,
    DocumentNotFound,
    Query,
    Store,
    StoreError,
    StoreUnavailable,
    TenantStore,
    Transaction,
    declared_kinds,
    kind_spec,
)

T = TypeVar("T")
_BUSY_RETRIES = 5  # each attempt already waits busy_timeout


_STORES: weakref.WeakSet[SqliteStore] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for store in list(_STORES):
        store._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


_CAS_SHIFT = 20  # CAS values a transaction can hand out: 2**20 - 1
#: side-table rows remembered per store (see :meth:`_Ops._index`); past this, forgotten
_ROWS_KEPT = 4096


def _doc(kind: str, key: str, body: dict[str, Any], cas: int) -> Doc:
    """A :class:`Doc` without the frozen dataclass's per-field ``object.__setattr__`` (half
    the cost of a get on a small document otherwise goes to building the result)."""
    doc = object.__new__(Doc)
    doc.__dict__.update(kind=kind, key=key, body=body, cas=cas)
    return doc


class _Written(Doc):
    """The :class:`Doc` a write returns: its body is parsed from the text just stored the
    first time it is read (most callers of a write want only the new CAS, and an order's
    record is written about ten times on its way). Equal to a :class:`Doc` with the same
    fields, as a read of it would give."""

    @property
    def body(self) -> dict[str, Any]:
        state = self.__dict__
        body = state.get("_body")
        if body is None:
            body = state["_body"] = loads(state["_text"])
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Doc):
            return NotImplemented
        return (self.kind, self.key, self.cas, self.body) == (
            other.kind,
            other.key,
            other.cas,
            other.body,
        )

    __hash__ = None  # type: ignore[assignment]  # a body is a dict: no hash, as for a Doc

    def __repr__(self) -> str:
        return f"Doc(kind={self.kind!r}, key={self.key!r}, body={self.body!r}, cas={self.cas!r})"


def _written(kind: str, key: str, text: str, cas: int) -> Doc:
    doc = object.__new__(_Written)
    doc.__dict__.update(kind=kind, key=key, _text=text, cas=cas)
    return doc


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class SqliteStore(Store):
    """A store in one SQLite file. ``path=":memory:"`` uses a private temporary file instead
    (deleted on :meth:`close`) so that every thread still sees the same database."""

    def __init__(self, path: str, *, busy_timeout_ms: int = 30_000) -> None:
        self._tmpdir: str | None = None
        if path == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="kervan-store-")  # mode 0700
            path = os.path.join(self._tmpdir, "kervan.db")
        else:
            private_dir(os.path.dirname(os.path.abspath(path)))
        # 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database
        # file's mode when it creates them; ones left by an older Kervan are tightened here
        for name in (path, f"{path}-wal", f"{path}-shm"):
            if name == path or os.path.exists(name):
                private_file(name)
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._indexed: set[tuple[str, tuple[str, ...]]] = set()
        #: kind → the declared fields its side table holds (created, columns added, filled)
        self._tables: dict[str, tuple[str, ...]] = {}
        self._closed = False
        #: (tenant, kind, key) → (CAS, fields, values): a side-table row as a committed write
        #: left it, with the document's CAS then (see :meth:`_Ops._index`)
        self._rows: dict[tuple[str, str, str], tuple[int, tuple[str, ...], list[Any]] | None] = {}
        _STORES.add(self)
        self._init_schema()

    def __repr__(self) -> str:
        return f"<SqliteStore {self.path}>"

    # -- connections ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        # NORMAL: in WAL mode a commit is atomic and consistent, and the log is synced before
        # each checkpoint; a transaction that must survive a power cut is synced by itself
        # (see the module docstring and :meth:`_sync_log`)
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own: see ``_after_fork``)."""
        try:
            conn: sqlite3.Connection = self._local.conn
            return conn
        except AttributeError:
            pass
        if self._closed:
            raise StoreUnavailable("the store is closed")
        conn = self._connect()
        self._local.conn, self._local.depth = conn, 0
        with self._lock:
            self._all.append(conn)
        return conn

    def _after_fork(self) -> None:
        # A SQLite connection must not cross a fork; the child starts with none. (Checked
        # here rather than with os.getpid() per call, which costs a syscall on every get.)
        self._local = threading.local()
        self._all = []
        self._lock = threading.Lock()

    def _retry(self, fn: Callable[[], T]) -> T:
        for attempt in range(_BUSY_RETRIES):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or attempt == _BUSY_RETRIES - 1:
                    raise StoreUnavailable(f"sqlite store busy: {exc}") from None
                time.sleep(min(0.001 * 2**attempt, 0.2))
        raise AssertionError("unreachable")  # pragma: no cover

    def _init_schema(self) -> None:
        """Tables, the side table of every kind declared so far and an index per field
        (kinds declared later get theirs on first use)."""
        wanted = [
            (k, (f,))
            for k, spec in declared_kinds().items()
            for f in spec.indexes
            if valid_kind(k) and valid_field(f)  # a bad name fails on use, not at open
        ]
        with self.write() as conn:
            for statement in sql.SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            # expression indexes on the documents, from before the side tables: each one was
            # rewritten with every body written
            for (name,) in conn.execute(sql.OLD_DOC_INDEXES).fetchall():
                conn.execute(f'DROP INDEX "{name}"')
            for kind in dict.fromkeys(k for k, _ in wanted):
                self.fields_of(kind)
            for kind, fields in wanted:
                conn.execute(sql.index_ddl(kind, *fields))
        self._indexed.update(wanted)

    def fields_of(self, kind: str) -> tuple[str, ...]:
        """The declared fields of ``kind``, with its side table ready for them: created,
        a column per field, filled from the documents already written. Inside a transaction
        the work is part of it (a rollback undoes it, and it is noted as done only once
        committed: see :meth:`write`)."""
        spec = kind_spec(kind)
        if spec is None or not spec.indexes:
            return ()
        ready = self._tables.get(kind)
        if ready is not None and len(ready) == len(spec.indexes):
            return ready
        fields = tuple(f for f in spec.indexes if valid_field(f))
        if ready == fields or not fields:
            return fields
        with self.write(atomic=False) as conn:
            conn.execute(sql.table_ddl(kind))
            have = {row[1] for row in conn.execute(f"PRAGMA table_info({sql.table(kind)})")}
            missing = tuple(f for f in fields if f not in have)
            for field in missing:
                conn.execute(sql.add_column_ddl(kind, field))
            if missing:
                conn.execute(sql.backfill(kind, missing))
            self._local.made.append((kind, fields))
        return fields

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def write(self, *, atomic: bool = True) -> Iterator[sqlite3.Connection]:
        """A write unit: ``BEGIN IMMEDIATE`` … ``COMMIT``, or a savepoint when nested.

        ``atomic=False`` is for one document operation: nested in a transaction it needs no
        savepoint of its own, because what it may leave behind when it fails is at most a
        spent CAS value (SQLite undoes a failed statement by itself)."""
        conn = self.conn()
        local = self._local
        if local.depth and not atomic:
            yield conn
            return
        if local.depth:
            name = f"sp{local.depth}"
            conn.execute(f"SAVEPOINT {name}")
            local.depth += 1
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}")
            finally:
                local.depth -= 1
            return
        self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        local.depth, local.cas_base, local.cas_used, local.durable = 1, None, 0, False
        local.made, local.rows = [], {}
        try:
            yield conn
            self._retry(lambda: conn.execute("COMMIT"))
            if local.cas_base is not None:
                local.cas_kept = (local.cas_base, local.cas_used, local.cas_version)
            self._tables.update(local.made)
            self._keep_rows(local.rows)
            if local.durable:
                self._sync_log()
        except BaseException:
            # Also when COMMIT itself failed: never leave the connection inside a transaction.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            local.depth = 0

    def _keep_rows(self, rows: dict[tuple[str, str, str], Any]) -> None:
        """Remember the side-table rows a transaction wrote, once it has committed (a rolled
        back one's are dropped: its CAS values are handed out again)."""
        if not rows:
            return
        kept = self._rows
        if len(kept) + len(rows) > _ROWS_KEPT:
            kept.clear()
        for key, row in rows.items():
            if row is None:
                kept.pop(key, None)
            else:
                kept[key] = row

    def require_durable(self) -> None:
        """The current transaction is synced to disk when it commits (outside a transaction,
        nothing to do: see :meth:`write`)."""
        self._local.durable = True

    def _sync_log(self) -> None:
        """``fsync`` the write-ahead log: the last commit, and every one before it, is then on
        disk. (The log is one file, written in commit order; syncing it is what
        ``synchronous = FULL`` does at each commit. A log checkpointed away since has had its
        frames synced into the database file by the checkpoint.)"""
        try:
            fd = os.open(f"{self.path}-wal", os.O_RDONLY)
        except FileNotFoundError:
            fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def next_cas(self, conn: sqlite3.Connection, n: int = 1) -> int:
        """Reserve ``n`` CAS values (inside a write); return the last one.

        A transaction takes one number from the ``meta`` counter, its epoch, the first time it
        needs a CAS, and hands out ``epoch << 20`` plus a running count. Epochs are unique
        (writers are serialised), so CAS values are too; they are larger than any value of the
        earlier one-per-write scheme (the counter never goes back) and below 2**53 for the
        first 8.5 billion epochs, so JSON clients read them exactly.

        A connection whose last committed transaction was the database's last commit (``PRAGMA
        data_version`` has not moved since: no other connection, in this process or another,
        has committed) keeps its epoch and counts on from where that commit stopped. Its
        values are then still the highest ever handed out, so they keep growing in commit
        order, and most commits skip the ``meta`` page. A rolled-back transaction leaves the
        count where the last commit put it (its values are handed out again, as before), and
        a restarted process takes a fresh epoch."""
        local = self._local
        if n >= 1 << _CAS_SHIFT:
            raise StoreError(f"more than {(1 << _CAS_SHIFT) - 1} writes in one statement")
        if local.cas_base is None:
            version = conn.execute(sql.DATA_VERSION).fetchone()[0]
            kept = local.__dict__.get("cas_kept")
            if kept is not None and kept[2] == version:
                # nobody has committed since this connection's last epoch: its values are
                # still the highest, so it carries on from where its last commit stopped
                local.cas_base, local.cas_used = kept[0], kept[1]
            else:
                self._new_epoch(conn)
            local.cas_version = version
        if local.cas_used + n >= 1 << _CAS_SHIFT:
            self._new_epoch(conn)  # this epoch is spent: the next is above all of it
        local.cas_used += n
        return int(local.cas_base + local.cas_used)

    def _new_epoch(self, conn: sqlite3.Connection) -> None:
        epoch = int(conn.execute(sql.NEXT_CAS, (1,)).fetchone()[0])
        self._local.cas_base, self._local.cas_used = epoch << _CAS_SHIFT, 0

    def ensure_indexes(self, query: Query, fields: tuple[str, ...]) -> None:
        """Create (once per process) the declared indexes of the query's kind and the
        composite index for its shape, if it has one (see :func:`sqlite_sql.shape_index`)."""
        wanted: list[tuple[str, tuple[str, ...]]] = [(query.kind, (f,)) for f in fields]
        shape = sql.shape_index(query)
        if shape is not None:
            wanted.append((query.kind, shape))
        missing = [w for w in wanted if w not in self._indexed]
        self.fields_of(query.kind)  # the table the query reads (DDL in a transaction is fine)
        in_transaction = bool(getattr(self._local, "depth", 0))
        if not missing or in_transaction:
            # Inside a transaction a rollback would undo the CREATE INDEX after we noted it
            # as done; the query runs fine without it and the next one outside creates it.
            return
        with self.write() as conn:
            for kind, columns in missing:
                conn.execute(sql.index_ddl(kind, *columns))
        self._indexed.update(missing)

    # -- Store ---------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> SqliteTenantStore:
        return SqliteTenantStore(self, check_tenant(tenant_id))

    def tenant_ids(self) -> list[str]:
        return [row[0] for row in self.conn().execute(sql.TENANTS)]

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


class _Ops:
    """Document operations on one tenant, run on the calling thread's connection."""

    store: SqliteStore
    tenant_id: str

    def get(self, kind: str, key: str) -> Doc | None:
        row = self.store.conn().execute(sql.GET, (self.tenant_id, kind, key)).fetchone()
        return None if row is None else _doc(kind, key, loads(row[0]), row[1])

    def insert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        text = dumps(check_kind(kind), check_key(key), body)
        with self.store.write(atomic=False) as conn:
            cas = self.store.next_cas(conn)
            try:
                conn.execute(sql.INSERT, (self.tenant_id, kind, key, text, cas))
            except sqlite3.IntegrityError:
                raise DocumentExists(f"{kind} {key} already exists") from None
            self._index(conn, kind, key, body, new=True, cas=cas)
        return _written(kind, key, text, cas)

    def _index(
        self,
        conn: sqlite3.Connection,
        kind: str,
        key: str,
        body: dict[str, Any],
        *,
        new: bool,
        cas: int,
        was: int | None = None,
    ) -> None:
        """Keep the side table in step: only the columns whose values changed are written
        (so only their indexes are), nothing when none did. ``cas`` is the document's new
        CAS; ``was``, when known, the CAS it had before this write.

        The row a write leaves is remembered with ``cas``: when the next write of the
        document is CAS-checked against that very value, the row is known without reading
        it. That holds across threads and processes: a committed CAS value is never handed
        out again, so no one else's write can have left the document with it (rows from a
        transaction that rolled back are never remembered)."""
        fields = self.store.fields_of(kind)
        if not fields:
            return
        values = [column_value(body, f) for f in fields]
        ident = (self.tenant_id, kind, key)
        pending = self.store._local.rows
        row: Any = None
        if not new and was is not None:
            known = pending[ident] if ident in pending else self.store._rows.get(ident)
            if known is not None and known[0] == was and known[1] == fields:
                row = known[2]
        pending[ident] = (cas, fields, values)
        if not new:
            if row is None:
                row = conn.execute(sql.read_row(kind, fields), (self.tenant_id, key)).fetchone()
            if row is not None:
                changed = [
                    i
                    for i, (old, value) in enumerate(zip(row, values, strict=True))
                    if old != value or type(old) is not type(value)
                ]
                if changed:
                    conn.execute(
                        sql.update_row(kind, tuple(fields[i] for i in changed)),
                        (*(values[i] for i in changed), self.tenant_id, key),
                    )
                return
        conn.execute(sql.insert_row(kind, fields), (self.tenant_id, key, *values))

    def replace(self, kind: str, key: str, body: dict[str, Any], cas: int | None = None) -> Doc:
        text = dumps(check_kind(kind), check_key(key), body)
        with self.store.write(atomic=False) as conn:
            new = self.store.next_cas(conn)
            args: tuple[Any, ...] = (text, new, self.tenant_id, kind, key)
            if cas is None:
                done = conn.execute(sql.REPLACE, args).rowcount
            else:
                done = conn.execute(sql.REPLACE_CAS, (*args, cas)).rowcount
            if not done:
                self._missing_or_changed(conn, kind, key)
            self._index(conn, kind, key, body, new=False, cas=new, was=cas)
        return _written(kind, key, text, new)

    def upsert(self, kind: str, key: str, body: dict[str, Any]) -> Doc:
        text = dumps(check_kind(kind), check_key(key), body)
        with self.store.write(atomic=False) as conn:
            cas = self.store.next_cas(conn)
            conn.execute(sql.UPSERT, (self.tenant_id, kind, key, text, cas))
            self._index(conn, kind, key, body, new=False, cas=cas)
        return _written(kind, key, text, cas)

    def remove(self, kind: str, key: str, cas: int | None = None) -> None:
        with self.store.write(atomic=False) as conn:
            if cas is None:
                done = conn.execute(sql.DELETE, (self.tenant_id, kind, key)).rowcount
            else:
                done = conn.execute(sql.DELETE_CAS, (self.tenant_id, kind, key, cas)).rowcount
            if not done:
                self._missing_or_changed(conn, kind, key)
            if self.store.fields_of(kind):
                conn.execute(sql.delete_row(kind), (self.tenant_id, key))
                self.store._local.rows[(self.tenant_id, kind, key)] = None

    def _missing_or_changed(self, conn: sqlite3.Connection, kind: str, key: str) -> None:
        if conn.execute(sql.EXISTS, (self.tenant_id, kind, key)).fetchone() is None:
            raise DocumentNotFound(f"{kind} {key} not found")
        raise CasMismatch(f"{kind} {key} changed since it was read")

    def counter(self, name: str, delta: int = 1, initial: int = 0) -> int:
        if not isinstance(name, str) or not name:
            raise StoreError("a counter needs a non-empty name")
        with self.store.write(atomic=False) as conn:
            self.store.require_durable()  # a number it hands out may leave right after
            row = conn.execute(sql.COUNTER, (self.tenant_id, name, initial + delta, delta))
            return int(row.fetchone()[0])

    def put_blob(self, key: str, data: bytes, content_type: str) -> None:
        check_key(key)
        with self.store.write(atomic=False) as conn:
            conn.execute(sql.PUT_BLOB, (self.tenant_id, key, content_type, bytes(data)))


class SqliteTransaction(_Ops, Transaction):
    """Operations inside one ``BEGIN IMMEDIATE`` transaction (nested writes are savepoints)."""

    blobs_in_transaction = True

    def __init__(self, store: SqliteStore, tenant_id: str) -> None:
        self.store = store
        self.tenant_id = tenant_id

    def require_durable(self) -> None:
        self.store.require_durable()


class SqliteTenantStore(_Ops, TenantStore):
    """One tenant's view of a :class:`SqliteStore`; the tenant is in every statement."""

    def __init__(self, store: SqliteStore, tenant_id: str) -> None:
        self.store = store
        self.tenant_id = tenant_id

    def __repr__(self) -> str:
        return f"<SqliteTenantStore tenant={self.tenant_id}>"

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        conn = self.store.conn()
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = conn.execute(
                # only '?' placeholders are spliced in
                f"SELECT key, body, cas FROM docs WHERE tenant = ? AND kind = ? AND key IN ({marks})",  # noqa: S608
                (self.tenant_id, kind, *chunk),
            )
            for key, body, cas in rows:
                out[key] = _doc(kind, key, loads(body), cas)
        return out

    def update(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any]], dict[str, Any] | None],
        attempts: int = 20,
    ) -> Doc | None:
        """Read-modify-write under the write lock: the read and the write cannot be
        separated by another writer, so there is no conflict to retry (``attempts`` unused).
        ``change`` runs while the lock is held; keep it a quick function of the body."""
        with self.store.write():
            doc = self.get(kind, key)
            if doc is None:
                raise DocumentNotFound(f"{kind} {key} not found")
            new = change(dict(doc.body))
            if new is None:
                return doc
            return self.replace(kind, key, new, cas=doc.cas)

    def upsert_many(self, kind: str, items: dict[str, dict[str, Any]]) -> None:
        check_kind(kind)
        rows = [(k, dumps(kind, check_key(k), body)) for k, body in items.items()]
        if not rows:
            return
        with self.store.write() as conn:
            last = self.store.next_cas(conn, len(rows))
            first = last - len(rows) + 1
            conn.executemany(
                sql.UPSERT,
                [(self.tenant_id, kind, k, text, first + i) for i, (k, text) in enumerate(rows)],
            )
            for i, (k, body) in enumerate(items.items()):
                self._index(conn, kind, k, body, new=False, cas=first + i)

    def query(self, query: Query) -> list[Doc]:
        spec = check_query(query)
        self.store.ensure_indexes(query, spec.indexes)
        text, params = sql.select(query, self.tenant_id, self.store._indexed)
        rows = self.store.conn().execute(text, params)
        return [_doc(query.kind, key, loads(body), cas) for key, body, cas in rows]

    def keys(self, query: Query) -> list[str]:
        spec = check_query(query)
        self.store.ensure_indexes(query, spec.indexes)
        text, params = sql.select(query, self.tenant_id, self.store._indexed)
        return [key for (key,) in self.store.conn().execute(sql.keys_only(text), params)]

    def count(self, query: Query) -> int:
        spec = check_query(query)
        self.store.ensure_indexes(query, spec.indexes)
        text, params = sql.count(query, self.tenant_id, self.store._indexed)
        return int(self.store.conn().execute(text, params).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.store.write():
            yield SqliteTransaction(self.store, self.tenant_id)

    def get_blob(self, key: str) -> tuple[bytes, str] | None:
        row = self.store.conn().execute(sql.GET_BLOB, (self.tenant_id, key)).fetchone()
        return None if row is None else (bytes(row[0]), row[1])
