"""A tiny fake engine for tests of ``start_jobs(processes=N)`` (kervan.jobs.processes).

Engine processes are spawned, so what they run must be importable by name: this module is
(``tests/support`` is on ``pythonpath``). :func:`fake_engine` is the ``process_setup`` hook:
it replaces the child's ``engine.advance`` with one that appends ``"<order id> <pid>"`` to
``<workdir>/work.log`` and, by the order id's prefix:

- ``slow-``: takes 0.2 s first (so both children get work);
- ``kill-``: the first time, writes its pid to ``<workdir>/victim`` and hangs (the test kills
  it); once that file exists it does its work like any other;
- ``fussy-``: raises :class:`FussyError`, whose ``__init__`` does not take a message (plain
  pickling could not rebuild it).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from kervan.errors import KervanError


class FussyError(KervanError):
    """A Kervan error built from an order id, not a message, with a field of its own."""

    code = "fussy"

    def __init__(self, order_id: str, *, shelf: int) -> None:
        super().__init__(f"order {order_id} is fussy")
        self.order_id, self.shelf = order_id, shelf


def fake_engine(workdir: str, runtime: Any) -> None:
    folder = Path(workdir)

    async def advance(tenant_id: str, order_id: str, *_: Any, **__: Any) -> None:
        if order_id.startswith("slow-"):
            await asyncio.sleep(0.2)
        elif order_id.startswith("kill-") and not (folder / "victim").exists():
            (folder / "victim").write_text(str(os.getpid()))
            await asyncio.sleep(600)
        elif order_id.startswith("fussy-"):
            raise FussyError(order_id, shelf=7)
        with open(folder / "work.log", "a") as log:
            log.write(f"{order_id} {os.getpid()}\n")

    runtime.engine.advance = advance


def work_log(workdir: str | Path) -> dict[str, int]:
    """Order id → the pid that did its work."""
    path = Path(workdir) / "work.log"
    if not path.exists():
        return {}
    return {o: int(p) for o, p in (line.split() for line in path.read_text().splitlines())}
