"""kervan-demo: ``kervan demo``, the whole order-to-cash flow against the first-party sandboxes.

A plugin like any other: it registers its command through the ``register_commands`` hook and
uses only the public surface of ``kervan`` and ``kervan_sdk``. Its world (a seller, a catalog,
a day of orders) is :mod:`kervan_demo.scenario_data`; :mod:`kervan_demo.wiring` connects a
tenant to the sandboxes the way a seller's admin would; :mod:`kervan_demo.run` drives the flow.
Benchmarks and end-to-end tests build on the same three.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from kervan import hookimpl

try:
    __version__ = version("kervan-demo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import register

    register(cli)
