"""Argument checks and JSON (de)serialisation shared by every store adapter.

Kind and field names end up inside SQL text (SQLite partial indexes need literal kinds to be
usable) and in Couchbase collection names, so they are held to a strict alphabet here, once,
instead of being escaped differently by each adapter.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .port import KindSpec, Query, StoreError, UndeclaredIndex, declared_kinds

# Couchbase collection names: letters, digits, '_', '-', '%', must not start with '_' or '%'.
_KIND_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
MAX_KEY_LEN = 200


def valid_kind(kind: str) -> bool:
    return isinstance(kind, str) and bool(_KIND_RE.match(kind))


def valid_field(field: str) -> bool:
    return isinstance(field, str) and bool(_FIELD_RE.match(field))


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise StoreError(f"invalid document kind {kind!r}: use letters, digits and '_'")
    return kind


def check_tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not _TENANT_RE.match(tenant_id):
        raise StoreError("invalid tenant id: use letters, digits, '_' and '-' (max 64)")
    return tenant_id


def check_key(key: str) -> str:
    # '::' separates tenant from key in the Couchbase adapter; refusing it everywhere keeps
    # both adapters accepting exactly the same keys.
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LEN or "::" in key:
        raise StoreError(
            f"invalid document key: a non-empty string up to {MAX_KEY_LEN} chars without '::'"
        )
    return key


def check_field(field: str) -> str:
    if not isinstance(field, str) or not _FIELD_RE.match(field):
        raise StoreError(f"invalid index field name {field!r}")
    return field


#: orjson (about eight times json's speed on an order's record): non-string keys become
#: strings as json made them; datetimes and dataclasses pass through to the (absent) default,
#: so they are refused as json refused them rather than quietly turned into strings
_DUMPS_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_PASSTHROUGH_DATACLASS)
)


def dumps(kind: str, key: str, body: dict[str, Any]) -> str:
    """Serialise a body to compact JSON; a non-JSON value is a caller bug, named by type only.

    NaN and the infinities have no JSON spelling; they are written as ``null``, as pydantic's
    JSON mode (where bodies come from) writes them."""
    if not isinstance(body, dict):
        raise StoreError(f"{kind} {key}: body must be a dict, not {type(body).__name__}")
    try:
        return orjson.dumps(body, option=_DUMPS_OPTIONS).decode()
    except (TypeError, ValueError) as exc:
        # The message names the offending type, never the value (it could be a secret).
        raise StoreError(f"{kind} {key}: body is not JSON ({type(exc).__name__})") from None


def loads(text: str | bytes) -> Any:
    """Parse a stored body."""
    return orjson.loads(text)


def spec_of(kind: str) -> KindSpec:
    return declared_kinds().get(kind) or KindSpec(kind, ())


def fields_used(query: Query) -> list[str]:
    """Every body field a query filters or orders on."""
    used = list(query.where)
    if query.range is not None:
        used.append(query.range[0])
    if query.order_by:
        used.append(query.order_by.lstrip("-+"))
    return used


def check_query(query: Query) -> KindSpec:
    """Refuse fields that were not declared as indexes for the kind, with a clear message."""
    check_kind(query.kind)
    spec = spec_of(query.kind)
    for name in fields_used(query):
        check_field(name)
        if name not in spec.indexes:
            raise UndeclaredIndex(
                f"field {name!r} of kind {query.kind!r} is not declared as an index; "
                f"declare_kind({query.kind!r}, indexes=[..., {name!r}]) before opening the store "
                f"(declared: {list(spec.indexes)})"
            )
    values = [v for w in query.where.values() for v in where_values(w)]
    if query.range is not None:
        values += [query.range[1], query.range[2]]
    for value in values:
        if index_value(value) is UNINDEXED:
            raise StoreError(f"query values must be JSON scalars, not {type(value).__name__}")
    if (query.limit is not None and query.limit < 0) or query.offset < 0:
        raise StoreError("limit and offset must not be negative")
    if query.after is not None:
        if query.offset:
            raise StoreError("page by offset or by keyset (after), not both")
        value, key = query.after
        if not isinstance(key, str) or index_value(value) is UNINDEXED:
            raise StoreError("after is (the last document's order value, its key)")
    return spec


def where_values(value: Any) -> list[Any]:
    """A ``where`` value as a list: a list/tuple/set means IN, anything else equality."""
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def index_value(value: Any) -> Any:
    """The value an index holds for a body value: JSON scalars as they are, bools as 0/1
    (SQLite's json_extract does the same), containers :data:`UNINDEXED`."""
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, int | float | str):
        return value
    return _UNINDEXED


class _Unindexed:
    def __repr__(self) -> str:
        return "<unindexed>"


_UNINDEXED = _Unindexed()
UNINDEXED = _UNINDEXED


_PLAIN = frozenset({str, int, float})


def column_value(body: dict[str, Any], field: str) -> Any:
    """What SQLite's ``json_extract`` gives for the value at a dotted path: missing is
    ``None``, booleans 0/1, scalars as they are, a list or object its compact JSON text."""
    cur: Any = body
    if "." not in field:  # most declared fields: one lookup (every write of a kind asks)
        cur = body.get(field)
    else:
        for part in field.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return None
            cur = cur[part]
    if cur is None or type(cur) in _PLAIN:
        return cur
    if isinstance(cur, bool):
        return int(cur)
    if isinstance(cur, int | float | str):
        return cur
    return orjson.dumps(cur, option=_DUMPS_OPTIONS).decode()


def extract(body: dict[str, Any], field: str) -> Any:
    """The value at a dotted path as an index sees it: missing is ``None`` (as SQL NULL),
    a list or object is :data:`UNINDEXED` (matches no filter)."""
    cur: Any = body
    for part in field.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return index_value(cur)
