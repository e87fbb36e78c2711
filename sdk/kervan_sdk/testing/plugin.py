"""The ``kervan`` pytest plugin (``pytest11`` entry point of kervan-sdk).

Loaded automatically wherever kervan-sdk is installed. It only adds fixtures, so it costs
nothing to a test session that does not use them; the contract suite itself comes from
:func:`kervan_sdk.testing.connector_suite`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kervan import ConnectorContext

from ..sandbox import Sandbox, SimClock


@pytest.fixture
def kervan_clock() -> SimClock:
    """A fresh simulated clock (sleeping on it advances it instead of waiting)."""
    return SimClock()


@pytest.fixture
def kervan_context() -> Callable[..., ConnectorContext]:
    """``kervan_context(sandbox, **kw)``: a context routed to ``sandbox`` on its clock."""
    from .harness import context_for

    def make(sandbox: Sandbox, **kw: Any) -> ConnectorContext:
        return context_for(sandbox, **kw)

    return make
