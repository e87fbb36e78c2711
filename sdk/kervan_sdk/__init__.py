"""Kervan plugin SDK: what a third party needs to write a Kervan plugin.

- :mod:`kervan_sdk.http`: ``ApiClient``, the async HTTP client base (retries with backoff and
  ``Retry-After``, rate limits, auth helpers, error mapping, redaction, metrics hooks, and
  ``Limits`` on what a remote may send: response size, JSON depth, a deadline per call).
- :mod:`kervan_sdk.sandbox`: ``Sandbox``, the base of stand-in remotes (FastAPI apps with
  seeded state, a simulated clock and fault injection), served in-process or on loopback.
- :mod:`kervan_sdk.records`: ``map_record``, which maps one remote record and turns a mapping
  fault into a ``kervan.RecordProblem`` (quarantined by the engine) instead of an exception.
- :mod:`kervan_sdk.testing`: ``connector_suite``, the standard contract tests for a
  connector's roles, and realistic Turkish test data (``make_orders`` ...). Also a pytest
  plugin (fixtures ``kervan_clock``, ``kervan_context``).
- ``kervan plugin new`` and ``kervan sandbox run`` on the ``kervan`` command line.

The most used names are re-exported here; ``kervan_sdk.testing`` is imported on its own (it
pulls in pytest).
"""

from importlib.metadata import PackageNotFoundError, version

from .http import (
    ApiClient,
    BasicAuth,
    BearerTokenAuth,
    HttpEvent,
    Limits,
    RateLimit,
    RetryPolicy,
    Token,
    redact,
)
from .records import map_record
from .sandbox import Fault, FaultInjector, Sandbox, SimClock, WallClock, page_count, paginate

try:
    __version__ = version("kervan-sdk")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "ApiClient",
    "BasicAuth",
    "BearerTokenAuth",
    "Fault",
    "FaultInjector",
    "HttpEvent",
    "Limits",
    "RateLimit",
    "RetryPolicy",
    "Sandbox",
    "SimClock",
    "Token",
    "WallClock",
    "__version__",
    "map_record",
    "page_count",
    "paginate",
    "redact",
]
