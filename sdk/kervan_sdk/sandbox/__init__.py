"""The sandbox toolkit: stand-in remotes as FastAPI apps with simulated time and faults.

A plugin subclasses :class:`Sandbox`, adds its remote's endpoints in ``routes`` and uses
:func:`paginate` for list endpoints; tests queue :class:`Fault` s on ``sandbox.faults`` and
drive the real client through ``sandbox.transport()`` with ``sandbox.clock`` as its clock.
"""

from ..http.ratelimit import RateLimit
from .base import ErpProduct, ListedPrice, Sandbox
from .clock import DEFAULT_START, SimClock, WallClock
from .faults import FAULT_KINDS, Fault, FaultInjector, FaultKind, FiredFault
from .middleware import FaultMiddleware, RequestRecord, TimedRequest
from .paging import page_count, paginate
from .server import BackgroundServer
from .transport import SandboxTransport

__all__ = [
    "DEFAULT_START",
    "FAULT_KINDS",
    "BackgroundServer",
    "ErpProduct",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultMiddleware",
    "FiredFault",
    "ListedPrice",
    "RateLimit",
    "RequestRecord",
    "Sandbox",
    "SandboxTransport",
    "SimClock",
    "TimedRequest",
    "WallClock",
    "page_count",
    "paginate",
]
