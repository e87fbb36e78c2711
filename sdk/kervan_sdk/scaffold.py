"""``kervan plugin new``: generate a plugin distribution that passes the contract kit as is.

Templates live in ``kervan_sdk/templates/plugin``: one file per generated module, plus one
fragment file per role (``roles/<role>.tmpl``) whose ``#@ <file>.<part>`` sections are spliced
into those modules, so a connector playing several roles is one class in one module.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

#: role → (role class, registration hook, words for humans)
ROLES: dict[str, tuple[str, str, str]] = {
    "order_source": ("OrderSource", "register_order_sources", "order source"),
    "carrier": ("Carrier", "register_carriers", "carrier"),
    "document_issuer": ("DocumentIssuer", "register_document_issuers", "document issuer"),
    "erp_sink": ("ErpSink", "register_erp_sinks", "ERP sink"),
}
ROLE_ALIASES = {
    "marketplace": "order_source",
    "orders": "order_source",
    "einvoice": "document_issuer",
    "e-invoice": "document_issuer",
    "issuer": "document_issuer",
    "integrator": "document_issuer",
    "erp": "erp_sink",
    "cargo": "carrier",
}
#: what each generated file is built from: (template, destination)
FILES = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("__init__.py.tmpl", "{package}/__init__.py"),
    ("connector.py.tmpl", "{package}/connector.py"),
    ("client.py.tmpl", "{package}/client.py"),
    ("mapping.py.tmpl", "{package}/mapping.py"),
    ("sandbox.py.tmpl", "{package}/sandbox.py"),
    ("test_contract.py.tmpl", "tests/test_contract.py"),
)
BASE_IMPORTS = {
    "connector": [
        "from functools import cached_property",
        "from kervan import CheckResult, ConnectorSettings",
        "from kervan.errors import AuthError",
        "from pydantic import Field, SecretStr",
        "from .client import ${Name}Client",
    ],
    "client": [
        "from typing import Any, Self",
        "from kervan import ConnectorContext",
        "from kervan_sdk.http import ApiClient, BasicAuth, RateLimit",
    ],
    "mapping": [],
    "sandbox": [
        "import base64",
        "from typing import Any, ClassVar",
        "from fastapi import FastAPI, Request",
        "from fastapi.responses import JSONResponse",
        "from kervan.scenario import Scenario",
        "from kervan_sdk.sandbox import Sandbox",
    ],
}
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


class ScaffoldError(ValueError):
    """The name or roles asked for cannot make a plugin."""


@dataclass(frozen=True)
class PluginSpec:
    """Names derived from the plugin's key (``acme-cargo`` → ``kervan-acme-cargo``, ...)."""

    key: str
    roles: tuple[str, ...]
    display: str

    @property
    def package(self) -> str:
        return "kervan_" + self.key.replace("-", "_")

    @property
    def dist(self) -> str:
        return "kervan-" + self.key.replace("_", "-")

    @property
    def class_name(self) -> str:
        return "".join(part.capitalize() for part in re.split(r"[-_]", self.key))

    @property
    def connector_key(self) -> str:
        return self.key.replace("-", "_")


def normalise_role(role: str) -> str:
    name = role.strip().lower().replace("-", "_")
    name = ROLE_ALIASES.get(name, ROLE_ALIASES.get(role.strip().lower(), name))
    if name not in ROLES:
        known = ", ".join([*ROLES, *ROLE_ALIASES])
        raise ScaffoldError(f"unknown role {role!r}; one of: {known}")
    return name


def make_spec(name: str, roles: list[str], display: str | None = None) -> PluginSpec:
    """Validate ``name`` (a lowercase slug) and ``roles``; derive the other names."""
    key = name.strip().lower()
    if key.startswith("kervan-") or key.startswith("kervan_"):
        key = key[len("kervan-") :]
    if not _NAME.match(key) or keyword.iskeyword(key):
        raise ScaffoldError(
            f"plugin name {name!r} must be a lowercase slug like 'acme' or 'acme-cargo'"
        )
    if not roles:
        raise ScaffoldError("give at least one --role")
    chosen = sorted({normalise_role(r) for r in roles}, key=list(ROLES).index)
    title = display or " ".join(p.capitalize() for p in re.split(r"[-_]", key))
    return PluginSpec(key=key, roles=tuple(chosen), display=title)


def _template(name: str) -> str:
    return resources.files("kervan_sdk").joinpath("templates", "plugin", name).read_text("utf-8")


def _sections(role: str) -> dict[str, str]:
    """A role fragment split into its ``#@ file.part`` sections."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _template(f"roles/{role}.tmpl").splitlines():
        if line.startswith("#@ "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v).rstrip() for k, v in sections.items()}


def render(spec: PluginSpec) -> dict[str, str]:
    """Every file of the generated distribution, by relative path."""
    fragments = [_sections(role) for role in spec.roles]
    values = {
        "key": spec.connector_key,
        "dist": spec.dist,
        "package": spec.package,
        "Name": spec.class_name,
        "display": spec.display,
        "role_words": ", ".join(ROLES[r][2] for r in spec.roles),
        "bases": ", ".join(ROLES[r][0] for r in spec.roles),
        "hooks": "".join(_hook(ROLES[r][1], spec.class_name) for r in spec.roles),
    }
    for target in BASE_IMPORTS:
        values[f"{target}_imports"] = format_imports(
            BASE_IMPORTS[target] + _joined(fragments, f"{target}.imports").splitlines()
        )
    for part in ("connector.body", "client.body", "client.helpers", "mapping.body"):
        values[part.replace(".", "_")] = _joined(fragments, part)
    for part in ("state", "seed", "routes", "helpers"):
        joined = _joined(fragments, f"sandbox.{part}")
        # state and seed follow a line in the template; start them on a line of their own
        values[f"sandbox_{part}"] = (
            "\n" + joined if joined and part in ("state", "seed") else joined
        )
    files = {}
    for template_name, destination in FILES:
        text = _fill(_template(template_name), template_name, values)
        # twice: the spliced fragments carry names (${Name}) of their own
        text = Template(Template(text).substitute(values)).substitute(values)
        files[destination.format(package=spec.package)] = text
    return files


def _fill(text: str, template_name: str, values: dict[str, str]) -> str:
    """Point a module template's generic slots at its own parts (``${bodies}`` → ...)."""
    stem = template_name.split(".")[0]
    if stem in BASE_IMPORTS:
        text = text.replace("${imports}", "${" + stem + "_imports}")
        text = text.replace("${bodies}", "${" + stem + "_body}")
    if stem == "client":
        text = text.replace("${helpers}", "${client_helpers}")
    if stem == "sandbox":
        for part in ("state", "seed", "routes", "helpers"):
            text = text.replace("${" + part + "}", "${sandbox_" + part + "}")
    return text


def _joined(fragments: list[dict[str, str]], part: str) -> str:
    # top-level definitions need two blank lines between fragments; indented parts none
    separator = "\n\n\n" if part == "mapping.body" else "\n"
    return separator.join(
        f[part].strip("\n") if part == "mapping.body" else f[part]
        for f in fragments
        if f.get(part, "").strip()
    )


def _hook(hook: str, class_name: str) -> str:
    return f"\n\n@hookimpl\ndef {hook}(register):\n    register({class_name})\n"


def format_imports(lines: list[str]) -> str:
    """Merge and sort import lines the way ruff's isort rules want them."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in (raw.strip() for raw in lines):
        if line.startswith("import "):
            plain.add(line[len("import ") :])
        elif line.startswith("from "):
            module, _, imported = line[len("from ") :].partition(" import ")
            names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
    groups: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for module in sorted(plain, key=str.lower):
        groups[_group(module)].append(f"import {module}")
    for module in sorted(names, key=lambda m: m.lower()):
        joined = ", ".join(sorted(names[module], key=_name_order))
        groups[_group(module)].append(_from_line(module, joined, names[module]))
    blocks = ["from __future__ import annotations"]
    blocks += ["\n".join(groups[g]) for g in (0, 1, 2) if groups[g]]
    return "\n\n".join(blocks)


def _from_line(module: str, joined: str, imported: set[str]) -> str:
    line = f"from {module} import {joined}"
    if len(line) <= 100:
        return line
    inner = "".join(f"    {n},\n" for n in sorted(imported, key=_name_order))
    return f"from {module} import (\n{inner})"


def _group(module: str) -> int:
    if module.startswith("."):
        return 2
    top = module.split(".")[0]
    return 0 if top in sys.stdlib_module_names else 1


def _name_order(name: str) -> tuple[int, str]:
    # ruff's order-by-type: CONSTANTS, then Classes, then functions and modules
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def write_plugin(spec: PluginSpec, directory: Path, *, force: bool = False) -> list[Path]:
    """Write the distribution into ``directory`` (created; must be empty unless ``force``)."""
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} is not empty (use --force to write into it)")
    written = []
    for relative, text in render(spec).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        written.append(path)
    return written
