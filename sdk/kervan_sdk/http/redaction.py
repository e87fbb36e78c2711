"""Keeping secrets out of logs, reprs and error messages.

The implementation is the core's :mod:`kervan.redaction`, the one place Kervan
redacts secrets (plain, base64 at every alignment including ``Basic user:secret``,
URL-encoded, JSON- and XML-escaped); the client and connectors import it from here.
"""

from __future__ import annotations

from kervan.redaction import (
    MASK,
    SENSITIVE_HEADERS,
    Redactor,
    redact,
    redact_body,
    redact_headers,
    secret_forms,
)

__all__ = [
    "MASK",
    "SENSITIVE_HEADERS",
    "Redactor",
    "redact",
    "redact_body",
    "redact_headers",
    "secret_forms",
]
