"""The quality gate: ruff (lint and format) over the whole repository, mypy on the core and SDK.

CONVENTIONS.md: "ruff for lint and format, mypy on the core and SDK public surface". These run
the same commands a developer runs, with the configuration in the root ``pyproject.toml``
(``[tool.ruff]``, ``[tool.mypy] files = core/kervan, sdk/kervan_sdk``), and fail with the
findings printed. To reproduce one by hand::

    .venv/bin/ruff check .
    .venv/bin/ruff format --check --diff .
    .venv/bin/mypy

mypy keeps its cache in the system temp directory (not in the repository, and warm between
runs: cold it takes ~20 s, warm ~2 s); set ``KERVAN_MYPY_CACHE`` to put it elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 240


def _tool(name: str) -> str:
    """The tool from this interpreter's environment, else the repo venv, else PATH."""
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is in the dev dependency group)")
    return found


def _mypy_cache() -> str:
    configured = os.environ.get("KERVAN_MYPY_CACHE")
    if configured:
        return configured
    user = os.environ.get("USER") or str(os.getuid() if hasattr(os, "getuid") else "user")
    return str(Path(tempfile.gettempdir()) / f"kervan-mypy-cache-{user}")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "MYPY_FORCE_COLOR": "0"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def _assert_clean(what: str, proc: subprocess.CompletedProcess[str], hint: str) -> None:
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        if len(output) > 20_000:
            output = output[:20_000] + "\n... (cut; run it by hand for the rest)"
        pytest.fail(f"{what} found problems (exit {proc.returncode}); {hint}\n\n{output}")


def test_ruff_lint_is_clean() -> None:
    proc = _run([_tool("ruff"), "check", "--output-format", "concise", "--no-cache", "."])
    _assert_clean("ruff check", proc, "fix them (`ruff check --fix .` fixes the safe ones)")


def test_ruff_format_is_clean() -> None:
    proc = _run([_tool("ruff"), "format", "--check", "--diff", "--no-cache", "."])
    _assert_clean("ruff format --check", proc, "run `ruff format .`")


def _mypy() -> list[str]:
    import importlib.util

    if importlib.util.find_spec("mypy") is not None:
        return [sys.executable, "-m", "mypy"]
    return [_tool("mypy")]


def test_mypy_is_clean() -> None:
    proc = _run([*_mypy(), "--cache-dir", _mypy_cache(), "--no-error-summary"])
    _assert_clean("mypy (files from [tool.mypy] in pyproject.toml)", proc, "fix the types")
