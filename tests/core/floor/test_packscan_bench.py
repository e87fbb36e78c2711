"""bench/packscan.py runs end to end on a tiny store and ends with its figures line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "packscan.py"


def test_packscan_bench_prints_its_figures_last() -> None:
    args = ["--orders", "300", "--products", "40", "--scans", "60", "--full", "10"]
    out = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, check=True, timeout=120
    )
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert list(last) == [
        "bench",
        "open_orders",
        "scans",
        "p50_ms",
        "p99_ms",
        "raw_sqlite_p99_ms",
    ]
    assert (last["bench"], last["open_orders"], last["scans"]) == ("packscan", 300, 60)
    assert 0 < last["p50_ms"] <= last["p99_ms"]
