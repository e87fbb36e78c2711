"""kervan.jobs.heap: what a long-running process does to the collector after start-up. Run in a
child interpreter: freezing this test process's heap would keep every later test's garbage."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import gc
from kervan.jobs.heap import YOUNG_THRESHOLD, settle

before = gc.get_threshold()
built = [[i] for i in range(1000)]  # start-up's objects
settle()
assert gc.get_freeze_count() >= 1000, gc.get_freeze_count()
assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2]), gc.get_threshold()
assert YOUNG_THRESHOLD > before[0]

class Node:
    pass

# a cycle made after start-up is still collected
a, b = Node(), Node()
a.other, b.other = b, a
del a, b
assert gc.collect() >= 2
print("ok")
"""


def test_settle_freezes_start_up_and_still_collects_cycles_made_later() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
