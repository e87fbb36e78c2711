"""SQL text for the SQLite adapter: schema, declared indexes and query building.

Declared fields are real columns: each kind with declared fields has a side table
``fields_<kind>(tenant, key, <field>...)`` that the adapter keeps in step with the document in
the same transaction, and indexes on ``(tenant, field..., key)`` over it. Writing a document
touches only the side-table columns whose values changed (an order's record is rewritten about
ten times on its way, and most writes change one or two of its six indexed fields), where
expression indexes on ``json_extract(body, ...)`` were all rewritten with every body. Queries
with filters or an order read the side table and join the document by key; ``keys`` and
``count`` read only the side table. A column holds what ``json_extract`` would give: JSON
scalars as they are, booleans as 0/1, lists and objects as compact JSON text.

Kind and field names are spliced into the SQL text (quoted); :mod:`kervan.store.checks`
restricts both to ``[A-Za-z0-9_.]`` first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from functools import cache
from typing import Any

from .checks import UNINDEXED, index_value, where_values
from .port import Query, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    body TEXT NOT NULL, cas INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    tenant TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    tenant TEXT NOT NULL, key TEXT NOT NULL, content_type TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('cas', 0);
"""

#: expression indexes an earlier version kept on the documents (dropped at open)
OLD_DOC_INDEXES = (
    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'docs' "
    "AND name LIKE 'ix\\_%' ESCAPE '\\'"
)
GET = "SELECT body, cas FROM docs WHERE tenant = ? AND kind = ? AND key = ?"
EXISTS = "SELECT cas FROM docs WHERE tenant = ? AND kind = ? AND key = ?"
INSERT = "INSERT INTO docs (tenant, kind, key, body, cas) VALUES (?, ?, ?, ?, ?)"
UPSERT = (
    "INSERT INTO docs (tenant, kind, key, body, cas) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant, kind, key) DO UPDATE SET body = excluded.body, cas = excluded.cas"
)
REPLACE = "UPDATE docs SET body = ?, cas = ? WHERE tenant = ? AND kind = ? AND key = ?"
REPLACE_CAS = REPLACE + " AND cas = ?"
DELETE = "DELETE FROM docs WHERE tenant = ? AND kind = ? AND key = ?"
DELETE_CAS = DELETE + " AND cas = ?"
DATA_VERSION = "PRAGMA data_version"
NEXT_CAS = "UPDATE meta SET value = value + ? WHERE name = 'cas' RETURNING value"
COUNTER = (
    "INSERT INTO counters (tenant, name, value) VALUES (?, ?, ?) "
    "ON CONFLICT (tenant, name) DO UPDATE SET value = value + ? RETURNING value"
)
PUT_BLOB = "INSERT OR REPLACE INTO blobs (tenant, key, content_type, data) VALUES (?, ?, ?, ?)"
GET_BLOB = "SELECT data, content_type FROM blobs WHERE tenant = ? AND key = ?"
TENANTS = "SELECT DISTINCT tenant FROM docs ORDER BY tenant"


def table(kind: str) -> str:
    """The side table holding ``kind``'s declared fields."""
    return f'"fields_{kind}"'


def column(field: str) -> str:
    return f'"{field}"'


def expr(field: str) -> str:
    """A declared field in a query over the side table (aliased ``x``)."""
    return f'x."{field}"'


def table_ddl(kind: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table(kind)} (tenant TEXT NOT NULL, key TEXT NOT NULL, "
        "PRIMARY KEY (tenant, key)) WITHOUT ROWID"
    )


def add_column_ddl(kind: str, field: str) -> str:
    return f"ALTER TABLE {table(kind)} ADD COLUMN {column(field)}"


def backfill(kind: str, fields: tuple[str, ...]) -> str:
    """Fill ``fields`` of the side table from the documents (a kind declared, or a field
    added, after documents were written; a store written by an earlier version)."""
    cols = ", ".join(column(f) for f in fields)
    values = ", ".join(f"json_extract(body, '$.{f}')" for f in fields)
    updates = ", ".join(f"{column(f)} = excluded.{column(f)}" for f in fields)
    # the WHERE true: SQLite's parser needs it between a SELECT and ON CONFLICT
    return (
        f"INSERT INTO {table(kind)} (tenant, key, {cols}) "  # noqa: S608
        f"SELECT tenant, key, {values} FROM docs WHERE kind = '{kind}' AND true "
        f"ON CONFLICT (tenant, key) DO UPDATE SET {updates}"
    )


@cache  # statement text per kind and columns: built once, not per write
def read_row(kind: str, fields: tuple[str, ...]) -> str:
    cols = ", ".join(column(f) for f in fields)
    return f"SELECT {cols} FROM {table(kind)} WHERE tenant = ? AND key = ?"  # noqa: S608


@cache  # statement text per kind and columns: built once, not per write
def insert_row(kind: str, fields: tuple[str, ...]) -> str:
    cols = ", ".join(["tenant", "key", *(column(f) for f in fields)])
    marks = ", ".join("?" * (len(fields) + 2))
    return f"INSERT OR REPLACE INTO {table(kind)} ({cols}) VALUES ({marks})"  # noqa: S608


@cache  # statement text per kind and columns: built once, not per write
def update_row(kind: str, fields: tuple[str, ...]) -> str:
    sets = ", ".join(f"{column(f)} = ?" for f in fields)
    return f"UPDATE {table(kind)} SET {sets} WHERE tenant = ? AND key = ?"  # noqa: S608


@cache  # statement text per kind and columns: built once, not per write
def delete_row(kind: str) -> str:
    return f"DELETE FROM {table(kind)} WHERE tenant = ? AND key = ?"  # noqa: S608


def index_name(kind: str, *fields: str) -> str:
    name = "ix_" + "__".join([kind, *(f.replace(".", "_") for f in fields)])
    if len(name) > 120:
        name = f"ix_{kind}__{hashlib.sha1(name.encode()).hexdigest()[:16]}"  # noqa: S324
    return name


def index_ddl(kind: str, *fields: str) -> str:
    """An index on ``(tenant, field...)`` of the kind's side table; SQLite appends the rest
    of the primary key (``key``), so with the tenant bound by equality the rows come ordered
    by the fields then the key and "ORDER BY field, key" needs no sort."""
    name = index_name(kind, *fields)
    columns = ", ".join(["tenant", *(column(f) for f in fields)])
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON {table(kind)} ({columns})'


def shape_index(query: Query) -> tuple[str, ...] | None:
    """Fields of a composite index for "equal on these, then ordered by (or ranging over)
    that": ``(tenant, kind, eq fields..., that field)``.

    SQLite uses one index per table scan, so ``where status = ? order by placed_at`` with two
    single-field indexes sorts every matching row, and ``where status = ? and placed_at
    between ...`` reads every row of that status. A composite index per query *shape*
    (created on first use; a shape is a code path, so there are few) reads only the rows it
    returns, in order, and stops at ``limit``. Only single-value equalities qualify (an
    ``IN`` breaks the ordering) and at most two (more is an ad-hoc filter).
    """
    last = query.order_by.lstrip("-+") if query.order_by else None
    if last is None and query.range is not None:
        last = query.range[0]
    if last is None or not query.where or len(query.where) > 2 or last in query.where:
        return None
    if any(len(where_values(v)) != 1 or where_values(v)[0] is None for v in query.where.values()):
        return None
    return (*sorted(query.where), last)


def _scalar(value: Any) -> Any:
    out = index_value(value)
    if out is UNINDEXED:
        raise StoreError(f"query values must be JSON scalars, not {type(value).__name__}")
    return out


def _where_term(field: str, value: Any, params: list[Any]) -> str:
    values = [_scalar(v) for v in where_values(value)]
    has_null = any(v is None for v in values)
    values = [v for v in values if v is not None]
    terms = []
    if len(values) == 1:
        terms.append(f"{expr(field)} = ?")
    elif values:
        terms.append(f"{expr(field)} IN ({', '.join('?' * len(values))})")
    if has_null:
        terms.append(f"{expr(field)} IS NULL")
    params.extend(values)
    if not terms:
        return "0"  # an empty IN list matches nothing
    return terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"


def uses_fields(query: Query) -> bool:
    """Whether the query reads the side table (it filters or orders on a declared field)."""
    return bool(query.where or query.range is not None or query.order_by)


def filters(query: Query, params: list[Any]) -> str:
    """``WHERE`` text over the side table ``x``; the tenant is always the first parameter."""
    terms = ["x.tenant = ?"]
    for field, value in query.where.items():
        terms.append(_where_term(field, value, params))
    if query.range is not None:
        field, low, high = query.range
        if low is not None:
            terms.append(f"{expr(field)} >= ?")
            params.append(_scalar(low))
        if high is not None:
            terms.append(f"{expr(field)} <= ?")
            params.append(_scalar(high))
    return " AND ".join(terms)


def choose_index(query: Query, available: Collection[tuple[str, tuple[str, ...]]]) -> str | None:
    """The index a query should use, named with ``INDEXED BY``.

    Without statistics SQLite prefers scanning the whole kind in primary-key order over an
    index on ``json_extract(...) = ?`` (it cannot tell how selective the field is), which made
    ``where status = ?`` read every order. The adapter knows better: an equality is served
    by its field's index (or the query's shape index), else a range or an order by theirs.
    Only indexes already created are named; a ``None`` filter (``IS NULL`` in an ``OR``) is
    left to the planner, which cannot always serve it from one index.
    """
    if any(not where_values(v) for v in query.where.values()):
        return None  # an empty IN matches nothing; SQLite folds it to "0" and uses no index
    plain = [f for f, v in query.where.items() if None not in where_values(v)]
    candidates: list[tuple[str, ...]] = []
    shape = shape_index(query)
    if shape is not None:
        candidates.append(shape)
    candidates += [(f,) for f in plain]
    if not query.where:
        if query.range is not None:
            candidates.append((query.range[0],))
        if query.order_by:
            candidates.append((query.order_by.lstrip("-+"),))
    for fields in candidates:
        if (query.kind, fields) in available:
            return index_name(query.kind, *fields)
    return None


def select(
    query: Query, tenant: str, available: Collection[tuple[str, tuple[str, ...]]] = ()
) -> tuple[str, list[Any]]:
    params: list[Any] = [tenant]
    if not uses_fields(query):
        # the whole kind in key order: the documents' own primary key serves it
        sql = f"SELECT key, body, cas FROM docs WHERE kind = '{query.kind}' AND tenant = ?"  # noqa: S608
        if query.after is not None:
            sql += " AND key > ?"
            params.append(query.after[1])
        sql += " ORDER BY key"
    else:
        index = choose_index(query, available)
        hint = f' INDEXED BY "{index}"' if index else ""
        # CROSS JOIN: the side table drives (its index serves the filter and the order), the
        # document is looked up by its primary key
        sql = (
            f"SELECT x.key, d.body, d.cas FROM {table(query.kind)} AS x{hint} "  # noqa: S608
            f"CROSS JOIN docs AS d ON d.tenant = x.tenant AND d.kind = '{query.kind}' "
            f"AND d.key = x.key WHERE {filters(query, params)}"
        )
        sql += _after(query, params)
        if query.order_by:
            field = query.order_by.lstrip("-+")
            direction = "DESC" if query.order_by.startswith("-") else "ASC"
            # ties follow the same direction, so one index scan (forward or backward) serves both
            sql += f" ORDER BY {expr(field)} {direction}, x.key {direction}"
        else:
            sql += " ORDER BY x.key"
    if query.limit is not None or query.offset:
        sql += " LIMIT ? OFFSET ?"
        params += [query.limit if query.limit is not None else -1, query.offset]
    return sql, params


def _after(query: Query, params: list[Any]) -> str:
    """The keyset term: rows after ``query.after`` in the query's order (NULL first when
    ascending, last when descending, as SQLite orders them)."""
    if query.after is None:
        return ""
    value, key = query.after
    if not query.order_by:
        params.append(key)
        return " AND x.key > ?"
    col = expr(query.order_by.lstrip("-+"))
    descending = query.order_by.startswith("-")
    value = _scalar(value)
    if value is None:
        params.append(key)
        if descending:  # NULLs come last: only NULLs with a smaller key remain
            return f" AND ({col} IS NULL AND x.key < ?)"
        return f" AND (({col} IS NULL AND x.key > ?) OR {col} IS NOT NULL)"
    if descending:
        params += [value, value, key]
        return f" AND (({col} <= ? AND ({col} < ? OR x.key < ?)) OR {col} IS NULL)"
    # "col >= value" first: the index range starts at the last value (a row-value
    # comparison is not used as an index bound here, and every page would scan from the top)
    params += [value, value, key]
    return f" AND {col} >= ? AND ({col} > ? OR x.key > ?)"


def keys_only(select_text: str) -> str:
    """The same query reading only the keys (no document is joined, read or parsed)."""
    if "CROSS JOIN docs AS d" not in select_text:
        return select_text.replace("SELECT key, body, cas FROM", "SELECT key FROM", 1)
    head, _, rest = select_text.partition(" CROSS JOIN docs AS d ON ")
    _, _, where = rest.partition(" WHERE ")
    return (
        head.replace("SELECT x.key, d.body, d.cas FROM", "SELECT x.key FROM", 1) + " WHERE " + where
    )


def count(
    query: Query, tenant: str, available: Collection[tuple[str, tuple[str, ...]]] = ()
) -> tuple[str, list[Any]]:
    params: list[Any] = [tenant]
    if not uses_fields(query):
        return f"SELECT count(*) FROM docs WHERE kind = '{query.kind}' AND tenant = ?", params  # noqa: S608
    unordered = Query(query.kind, query.where, query.range)
    index = choose_index(unordered, available)
    hint = f' INDEXED BY "{index}"' if index else ""
    text = f"SELECT count(*) FROM {table(query.kind)} AS x{hint} WHERE {filters(query, params)}"  # noqa: S608
    return text, params
