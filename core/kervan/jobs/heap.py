"""The garbage collector, set for a long-running engine process.

After start-up a serving process holds a large heap that lives as long as it does: plugins
and their modules, pydantic's validators, GİB's code lists, connectors and their clients.
CPython's cyclic collector would otherwise walk all of it again at each full collection, and
its youngest generation, collected every 700 allocations by default, runs hundreds of times
per thousand orders (an order allocates a few hundred thousand objects, a few hundred of them
in reference cycles: responses, exceptions, pydantic models).

:func:`settle` moves what start-up built out of the collector's way (``gc.freeze``: never
scanned again, never freed) and collects the youngest generation after
:data:`YOUNG_THRESHOLD` allocations instead. Measured on ``bench/pipeline.py`` 1,000 orders
(docs/performance.md): the collector's own time in the timed run fell from 0.47 to 0.15 ms per order.

Only long-running processes call it (``kervan serve``, ``kervan worker``, an engine process);
a test process or a one-shot command keeps CPython's defaults, as freezing the objects of many
short-lived runtimes in one process would keep them all.
"""

from __future__ import annotations

import gc

#: allocations between two collections of the youngest generation (CPython's default: 700)
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Freeze what start-up built and collect the youngest generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
