"""SQL text for the SQLite adapter: schema, declared indexes and query building.

Declared indexes are partial expression indexes, ``ON docs(tenant, json_extract(body, '$.f'))
WHERE kind = 'k'``: SQLite maintains them itself (no side table to keep in step, and a kind
declared after documents were written is back-filled by ``CREATE INDEX``). A partial index is
only used when the query repeats its ``WHERE`` term literally, so kind and field names are
spliced into the SQL text; :mod:`kervan.store.checks` restricts both to ``[A-Za-z0-9_.]`` first.
"""

from __future__ import annotations

import hashlib
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


def index_ddl(kind: str, *fields: str) -> str:
    """A partial expression index on ``(tenant, field...)`` for one kind."""
    name = "ix_" + "__".join([kind, *(f.replace(".", "_") for f in fields)])
    if len(name) > 120:
        name = f"ix_{kind}__{hashlib.sha1(name.encode()).hexdigest()[:16]}"  # noqa: S324
    # ``key`` last so the index also serves the ``ORDER BY …, key`` tie-break
    columns = ", ".join(["tenant", *(expr(f) for f in fields), "key"])
    return f"CREATE INDEX IF NOT EXISTS \"{name}\" ON docs ({columns}) WHERE kind = '{kind}'"


def shape_index(query: Query) -> tuple[str, ...] | None:
    """Fields of a composite index serving "equal on these, ordered by that" without a sort.

    SQLite can use one index per table scan, so ``where status = ? order by placed_at`` with
    two single-field indexes sorts every matching row; a composite index per query *shape*
    (created on first use, a shape is a code path, so there are few) reads rows in order and
    stops at ``limit``. Only single-value equalities qualify (an ``IN`` breaks the ordering).
    """
    if not query.order_by or not query.where or len(query.where) > 2:
        return None  # more fields than that is an ad-hoc filter, not a code path
    if any(len(where_values(v)) != 1 or where_values(v)[0] is None for v in query.where.values()):
        return None
    order = query.order_by.lstrip("-+")
    return (*sorted(query.where), order)


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


def select(query: Query, tenant: str) -> tuple[str, list[Any]]:
    params: list[Any] = [tenant]
    # kind and field names are checked identifiers (see module docstring); values are bound
    sql = f"SELECT key, body, cas FROM docs WHERE {filters(query, params)}"  # noqa: S608
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


def count(query: Query, tenant: str) -> tuple[str, list[Any]]:
    params: list[Any] = [tenant]
    return f"SELECT count(*) FROM docs WHERE {filters(query, params)}", params  # noqa: S608
