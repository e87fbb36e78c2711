"""Reviewed SQL++ templates for the Couchbase adapter. No hot path uses them.

SQL++ cannot be executed on our machines, so these are plain text builders whose output is
pinned by golden tests (``tests/core/store/test_couchbase_sqlpp.py``): a change to a statement
is a visible diff that someone reviews. Identifiers are spliced only after
:mod:`kervan.store.checks` has held them to ``[A-Za-z0-9_.]``, and are back-quoted; values are
always named parameters (``$tenant``, ``$w0`` ...), never text.

- :func:`index_statements`: a deferred GSI index per declared field, on ``(t, b.field)`` so the
  tenant is always the leading key, then one ``BUILD INDEX`` per collection.
- :func:`select_statement`: the SQL++ equivalent of a :class:`~kervan.store.Query`, for
  reporting and for checking the maintained KV indexes against GSI on a live cluster. Its
  semantics differ from the port's in two documented ways: SQL++ orders ``false/true`` apart
  from numbers, and a missing field is ``MISSING`` (matched here with ``IS NOT VALUED``).
"""

from __future__ import annotations

from typing import Any

from .checks import check_field, check_kind, where_values
from .port import KindSpec, Query


def _q(name: str) -> str:
    return f"`{name}`"


def _path(field: str) -> str:
    return "d.`b`." + ".".join(_q(part) for part in check_field(field).split("."))


def keyspace(bucket: str, scope: str, kind: str) -> str:
    check_kind(kind)
    for name in (bucket, scope):
        check_kind(name)
    return f"{_q(bucket)}.{_q(scope)}.{_q(kind)}"


def index_name(kind: str, field: str) -> str:
    return f"ix_{kind}_{field.replace('.', '_')}"


def index_statements(bucket: str, scope: str, kinds: dict[str, KindSpec]) -> list[str]:
    """``CREATE INDEX`` (deferred) for every declared field, then ``BUILD INDEX`` per kind."""
    out: list[str] = []
    for kind in sorted(kinds):
        fields = kinds[kind].indexes
        if not fields:
            continue
        space = keyspace(bucket, scope, kind)
        names = []
        for field in fields:
            name = index_name(kind, field)
            names.append(_q(name))
            out.append(
                f"CREATE INDEX {_q(name)} IF NOT EXISTS ON {space}"
                f"(`t`, {_path(field).removeprefix('d.')}) "
                'WITH {"defer_build": true}'
            )
        out.append(f"BUILD INDEX ON {space}({', '.join(names)})")
    return out


def _where_term(field: str, values: list[Any], name: str, params: dict[str, Any]) -> str:
    """``IN $name`` for the values, ``IS NOT VALUED`` (null or missing) for a ``None``."""
    others = [v for v in values if v is not None]
    parts = []
    if others:
        params[name] = others
        parts.append(f"{_path(field)} IN ${name}")
    if len(others) != len(values):
        parts.append(f"{_path(field)} IS NOT VALUED")
    if not parts:
        return "FALSE"
    return f"({' OR '.join(parts)})" if len(parts) > 1 else parts[0]


def _after(query: Query, doc_id: str, params: dict[str, Any]) -> str:
    """The keyset term (rows after ``query.after`` in the query's order; missing and null
    values order first, as ``ORDER BY`` puts them ascending); ``doc_id`` is the last key as
    the cluster stores it (``tenant::key``)."""
    assert query.after is not None
    value = query.after[0]
    params["after_key"] = doc_id
    if not query.order_by:
        return "META(d).id > $after_key"
    path = _path(query.order_by.lstrip("-+"))
    descending = query.order_by.startswith("-")
    if value is None:
        if descending:
            return f"({path} IS NOT VALUED AND META(d).id < $after_key)"
        return f"(({path} IS NOT VALUED AND META(d).id > $after_key) OR {path} IS VALUED)"
    params["after_value"] = value
    if descending:
        return f"([{path}, META(d).id] < [$after_value, $after_key] OR {path} IS NOT VALUED)"
    return f"[{path}, META(d).id] > [$after_value, $after_key]"


def select_statement(
    bucket: str, scope: str, tenant: str, query: Query
) -> tuple[str, dict[str, Any]]:
    """``SELECT`` with named parameters for one tenant's port query (see module docstring)."""
    params: dict[str, Any] = {"tenant": tenant}
    terms = ["d.`t` = $tenant"]
    for i, (field, wanted) in enumerate(sorted(query.where.items())):
        terms.append(_where_term(field, where_values(wanted), f"w{i}", params))
    if query.range is not None:
        field, low, high = query.range
        if low is not None:
            params["low"] = low
            terms.append(f"{_path(field)} >= $low")
        if high is not None:
            params["high"] = high
            terms.append(f"{_path(field)} <= $high")
    if query.after is not None:
        terms.append(_after(query, f"{tenant}::{query.after[1]}", params))
    # identifiers are checked and back-quoted; every value is a $parameter
    text = (
        "SELECT META(d).id AS id, d.`b` AS body, META(d).cas AS cas "  # noqa: S608
        f"FROM {keyspace(bucket, scope, query.kind)} AS d WHERE {' AND '.join(terms)}"
    )
    if query.order_by:
        direction = "DESC" if query.order_by.startswith("-") else "ASC"
        text += (
            f" ORDER BY {_path(query.order_by.lstrip('-+'))} {direction}, META(d).id {direction}"
        )
    else:
        text += " ORDER BY META(d).id ASC"
    if query.limit is not None:
        params["limit"] = query.limit
        text += " LIMIT $limit"
    if query.offset:
        params["offset"] = query.offset
        text += " OFFSET $offset"
    return text, params
