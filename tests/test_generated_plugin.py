"""CI's promise to plugin authors: `kervan plugin new` makes a plugin that installs, loads
through its entry point, passes the contract kit from site-packages, and serves its sandbox.

Runs ``sdk/scripts/ci_generated_plugin.sh`` (which uninstalls the plugin again on exit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_generated_plugin_installs_loads_passes_its_kit_and_serves_its_sandbox():
    env = {**os.environ, "KERVAN_VENV": str(Path(sys.executable).parents[1])}
    env.pop("KERVAN_LOAD_PLUGINS", None)
    env.pop("KERVAN_DISABLED_PLUGINS", None)
    done = subprocess.run(
        ["bash", str(ROOT / "sdk/scripts/ci_generated_plugin.sh"), "ci-probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "ok: kervan-ci-probe generated, installed, tested, loaded, served" in done.stdout
