"""The Nebim V3 Integrator sandbox: ``state`` (sessions, documents, products), ``validation``
(what V3 refuses in a model), ``app`` (``NebimSandbox``, its routes and their sources)."""

from .app import EMPTY_STREAM, LOOKUP_QUERY, NOT_LOGGED_IN, PRODUCT_PROC, NebimSandbox

__all__ = ["EMPTY_STREAM", "LOOKUP_QUERY", "NOT_LOGGED_IN", "PRODUCT_PROC", "NebimSandbox"]
