"""Write the API's OpenAPI document to ``docs/openapi.json`` (sorted keys, indent 2).

    .venv/bin/python scripts/export_openapi.py            # writes docs/openapi.json
    .venv/bin/python scripts/export_openapi.py OUT.json   # writes elsewhere
    .venv/bin/python scripts/export_openapi.py -          # prints it

The app is built the way ``kervan serve`` builds it, around a throwaway SQLite store in a
temporary ``KERVAN_HOME`` (so no ``~/.kervan`` is touched and no key file is left behind).
Plugins' routes (``/v1/ext/...``) are part of the document, so the plugin filters
(``KERVAN_LOAD_PLUGINS`` / ``KERVAN_DISABLED_PLUGINS``) are cleared: the document describes
every installed plugin. ``tests/test_openapi_doc.py`` regenerates it and fails if the committed
file drifted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "openapi.json"
_CLEARED = ("KERVAN_LOAD_PLUGINS", "KERVAN_DISABLED_PLUGINS", "KERVAN_STORE_URL")


def build_spec() -> dict[str, Any]:
    """The OpenAPI document of a freshly built app (no state outside a temp dir)."""
    saved = {k: os.environ.get(k) for k in (*_CLEARED, "KERVAN_HOME", "KERVAN_SECRET_KEY")}
    with tempfile.TemporaryDirectory(prefix="kervan-openapi-") as home:
        for name in _CLEARED:
            os.environ.pop(name, None)
        os.environ["KERVAN_HOME"] = home
        os.environ.pop("KERVAN_SECRET_KEY", None)
        try:
            from kervan.api.app import create_app
            from kervan.runtime import Runtime
            from kervan.store import open_store

            runtime = Runtime.create(store=open_store(f"sqlite:///{home}/x.db"))
            try:
                return create_app(runtime).openapi()
            finally:
                runtime.close()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render(build_spec())
    target = argv[1] if len(argv) > 1 else str(DEFAULT_OUT)
    if target == "-":
        sys.stdout.write(text)
        return 0
    Path(target).write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(text)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
