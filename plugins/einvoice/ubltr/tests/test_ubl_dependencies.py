"""efatura-kontrol drags in `mcp` and its web stack; the validation path must not need it."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from kervan_ubltr import validate
report = validate(b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>")
assert not report.ok
heavy = sorted(m for m in ("mcp", "starlette", "uvicorn", "jsonschema") if m in sys.modules)
print(",".join(heavy))
"""


def test_validating_imports_none_of_efatura_kontrols_mcp_stack():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == ""
