"""docs/openapi.json is what the app serves, and the spec keeps its promises.

The document is regenerated with ``scripts/export_openapi.py`` in a subprocess (a clean
process: the plugin host is process-wide, and other tests filter or reset it) and compared
with the committed file, so the published API description cannot drift from the code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.json"
SCRIPT = ROOT / "scripts" / "export_openapi.py"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
KNOWN_ROLES = {
    "platform_admin",
    "tenant_admin",
    "operator",
    "picker",
    "packer",
    "returns_clerk",
    "supervisor",
}

# a property name that smells of a credential; `secret_fields` (the names of the secrets that
# are set) and the like do not match, since the secret word must end the name
SECRET_NAME = re.compile(
    r"^(?:.*_)?(?:api_?key|api_?secret|client_?secret|secret(?:_?key)?|password|passwd|"
    r"pass_?phrase|private_?key|(?:access_|refresh_|auth_|bearer_)?token|credentials?)$",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("openapi") / "openapi.json"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KERVAN_STRICT_PLUGINS", "KERVAN_BROKER_URL")
    }
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"export_openapi.py failed:\n{proc.stdout}\n{proc.stderr}"
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spec(generated: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(generated)
    return loaded


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in sorted(spec["paths"].items())
        for method, op in sorted(item.items())
        if method in METHODS
    ]


def test_committed_openapi_document_matches_the_code(generated: str) -> None:
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != generated:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/openapi.json (committed)",
                "generated",
                n=2,
            )
        )
        pytest.fail(
            "docs/openapi.json is stale; run `.venv/bin/python scripts/export_openapi.py` "
            "and commit it.\n" + diff[:8000]
        )


def test_every_operation_declares_the_roles_that_may_call_it(spec: dict[str, Any]) -> None:
    """``x-roles`` on every operation; an empty list only with ``x-auth`` saying who checks the
    caller instead (a webhook is verified by its connector, not by an API key)."""
    missing = [
        f"{m} {p}" for m, p, op in _operations(spec) if not isinstance(op.get("x-roles"), list)
    ]
    assert not missing, f"operations without x-roles: {missing}"
    unexplained = [
        f"{m} {p}" for m, p, op in _operations(spec) if not op["x-roles"] and not op.get("x-auth")
    ]
    assert not unexplained, f"operations open to no role and with no x-auth: {unexplained}"
    unknown = {
        f"{m} {p}": sorted(set(op["x-roles"]) - KNOWN_ROLES)
        for m, p, op in _operations(spec)
        if set(op["x-roles"]) - KNOWN_ROLES
    }
    assert not unknown, f"x-roles naming roles that do not exist: {unknown}"


def test_every_operation_says_what_it_does(spec: dict[str, Any]) -> None:
    bare = [
        f"{m} {p}"
        for m, p, op in _operations(spec)
        if not (op.get("summary") or "").strip() and not (op.get("description") or "").strip()
    ]
    assert not bare, f"operations with neither summary nor description: {bare}"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _readable_secret_properties(
    spec: dict[str, Any], schema: Any, where: str, seen: set[str]
) -> list[str]:
    """Property paths under ``schema`` named like a secret and not marked writeOnly."""
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return []
        seen = seen | {ref}
        return _readable_secret_properties(spec, _resolve(spec, schema), where, seen)
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        prop_schema = _resolve(spec, prop) if isinstance(prop, dict) else {}
        if SECRET_NAME.match(name) and not (prop.get("writeOnly") or prop_schema.get("writeOnly")):
            found.append(f"{where}.{name}")
        found += _readable_secret_properties(spec, prop, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties", "not"):
        found += _readable_secret_properties(spec, schema.get(key), f"{where}[]", seen)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key) or []:
            found += _readable_secret_properties(spec, sub, where, seen)
    return found


def test_no_response_schema_exposes_a_secret_named_property(spec: dict[str, Any]) -> None:
    leaks = []
    for method, path, op in _operations(spec):
        for status, response in (op.get("responses") or {}).items():
            for media, content in (response.get("content") or {}).items():
                leaks += _readable_secret_properties(
                    spec, content.get("schema"), f"{method} {path} {status} {media}", set()
                )
    assert not leaks, f"response schemas with readable secret-like properties: {leaks}"


def test_the_secret_name_check_would_catch_a_leak() -> None:
    names = ["api_key", "apiKey", "api_secret", "password", "secret", "client_secret", "token"]
    assert all(SECRET_NAME.match(n) for n in names)
    assert not any(SECRET_NAME.match(n) for n in ["secret_fields", "key", "keys", "tokens_used"])


def test_the_walker_finds_a_secret_behind_refs_and_arrays() -> None:
    fake = {
        "components": {
            "schemas": {
                "Conn": {"properties": {"settings": {"$ref": "#/components/schemas/S"}}},
                "S": {
                    "properties": {
                        "api_key": {"type": "string"},
                        "password": {"type": "string", "writeOnly": True},
                    }
                },
            }
        }
    }
    schema = {"type": "array", "items": {"$ref": "#/components/schemas/Conn"}}
    assert _readable_secret_properties(fake, schema, "r", set()) == ["r[].settings.api_key"]


def _described(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A body a client can generate code for: an object with named properties, or an array
    of such objects (not a bare ``{"type": "object", "additionalProperties": true}``)."""
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _described(spec, schema.get("items") or {})
    return bool(schema.get("properties"))


def test_every_json_answer_is_described_field_by_field(spec: dict[str, Any]) -> None:
    vague = [
        f"{method} {path} {status}"
        for method, path, op in _operations(spec)
        for status, response in (op.get("responses") or {}).items()
        if status.startswith("2")
        for media, content in (response.get("content") or {}).items()
        if media == "application/json" and not _described(spec, content.get("schema") or {})
    ]
    assert not vague, f"JSON answers without a field-by-field schema: {vague}"
