"""The engine processes' set-up for ``bench/pipeline.py --processes P``.

``kervan serve --processes P`` runs the jobs' engine work in P spawned children, each with a
runtime built from the environment (``kervan.jobs.processes``). The bench's connections run on
the sandboxes' shared simulated clocks (``SharedClock``, see ``bench/_sandbox_server.py``),
which a child cannot get from the environment: :func:`shared_clocks` is the ``process_setup``
hook that gives each child's connections the same clocks, as ``bench/_redis_workers.py`` does
for Redis workers, and warms GİB validation there (the children validate in-process).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from _sandbox_server import KEYS, SharedClock


def shared_clocks(start: str, offsets: dict[str, Any], runtime: Any) -> None:
    """Run in each engine process: the shared clocks onto its connections, Saxon warmed."""
    from kervan_ubltr import default_validator

    when = datetime.fromisoformat(start)
    for key in KEYS:
        clock = SharedClock(when, offsets[key])
        runtime.connectors.overrides[key] = {"clock": clock.now, "sleep": clock.sleep}
    default_validator().warm_up()


def setup_hook(start: datetime, offsets: dict[str, Any]) -> Callable[[Any], None]:
    """The hook for ``start_jobs(process_setup=...)`` (picklable: the offsets are shared
    ``multiprocessing.Value``s, which a spawned child inherits)."""
    return functools.partial(shared_clocks, start.isoformat(), offsets)
