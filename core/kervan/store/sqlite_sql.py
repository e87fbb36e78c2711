"""SQL text for the SQLite adapter: schema, declared indexes and query building.

Declared indexes are partial expression indexes, ``ON docs(tenant, json_extract(body, '$.f'))
WHERE kind = 'k'``: SQLite maintains them itself (no side table to keep in step, and a kind
declared after documents were written is back-filled by ``CREATE INDEX``). A partial index is
only used when the query repeats its ``WHERE`` term literally, so kind and field names are
spliced into the SQL text; :mod:`kervan.store.checks` restricts both to ``[A-Za-z0-9_.]`` first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
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
NEXT_CAS = "UPDATE meta SET value = value + ? WHERE name = 'cas' RETURNING value"
COUNTER = (
    "INSERT INTO counters (tenant, name, value) VALUES (?, ?, ?) "
    "ON CONFLICT (tenant, name) DO UPDATE SET value = value + ? RETURNING value"
)
PUT_BLOB = "INSERT OR REPLACE INTO blobs (tenant, key, content_type, data) VALUES (?, ?, ?, ?)"
GET_BLOB = "SELECT data, content_type FROM blobs WHERE tenant = ? AND key = ?"
TENANTS = "SELECT DISTINCT tenant FROM docs ORDER BY tenant"


def expr(field: str) -> str:
    return f"json_extract(body, '$.{field}')"


def index_name(kind: str, *fields: str) -> str:
    name = "ix_" + "__".join([kind, *(f.replace(".", "_") for f in fields)])
    if len(name) > 120:
        name = f"ix_{kind}__{hashlib.sha1(name.encode()).hexdigest()[:16]}"  # noqa: S324
    return name


def index_ddl(kind: str, *fields: str) -> str:
    """A partial expression index on ``(tenant, kind, field...)`` for one kind."""
    name = index_name(kind, *fields)
    # (tenant, kind, fields...) and SQLite appends the rest of the primary key (key). With
    # kind bound by equality before the fields, the planner knows the rows come ordered by
    # field then key, so "ORDER BY field, key" needs no sort; measured: without kind in
    # that place, or with key named explicitly, every ordered query sorted in a temp b-tree.
    columns = ", ".join(["tenant", "kind", *(expr(f) for f in fields)])
    return f"CREATE INDEX IF NOT EXISTS \"{name}\" ON docs ({columns}) WHERE kind = '{kind}'"


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


def filters(query: Query, params: list[Any]) -> str:
    """``WHERE`` text for a query; the tenant is always the first parameter."""
    terms = [f"kind = '{query.kind}'", "tenant = ?"]
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
    index = choose_index(query, available)
    hint = f' INDEXED BY "{index}"' if index else ""
    # kind and field names are checked identifiers (see module docstring); values are bound
    sql = f"SELECT key, body, cas FROM docs{hint} WHERE {filters(query, params)}"  # noqa: S608
    sql += _after(query, params)
    if query.order_by:
        field = query.order_by.lstrip("-+")
        direction = "DESC" if query.order_by.startswith("-") else "ASC"
        # ties follow the same direction, so one index scan (forward or backward) serves both
        sql += f" ORDER BY {expr(field)} {direction}, key {direction}"
    else:
        sql += " ORDER BY key"
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
        return " AND key > ?"
    col = expr(query.order_by.lstrip("-+"))
    descending = query.order_by.startswith("-")
    value = _scalar(value)
    if value is None:
        params.append(key)
        if descending:  # NULLs come last: only NULLs with a smaller key remain
            return f" AND ({col} IS NULL AND key < ?)"
        return f" AND (({col} IS NULL AND key > ?) OR {col} IS NOT NULL)"
    if descending:
        params += [value, value, key]
        return f" AND (({col} <= ? AND ({col} < ? OR key < ?)) OR {col} IS NULL)"
    # "col >= value" first: the index range starts at the last value (a row-value
    # comparison is not used as an index bound here, and every page would scan from the top)
    params += [value, value, key]
    return f" AND {col} >= ? AND ({col} > ? OR key > ?)"


def keys_only(select_text: str) -> str:
    """The same query reading only the keys (no body is read or parsed)."""
    return select_text.replace("SELECT key, body, cas FROM", "SELECT key FROM", 1)


def count(
    query: Query, tenant: str, available: Collection[tuple[str, tuple[str, ...]]] = ()
) -> tuple[str, list[Any]]:
    params: list[Any] = [tenant]
    unordered = Query(query.kind, query.where, query.range)
    index = choose_index(unordered, available)
    hint = f' INDEXED BY "{index}"' if index else ""
    text = f"SELECT count(*) FROM docs{hint} WHERE {filters(query, params)}"  # noqa: S608
    return text, params
