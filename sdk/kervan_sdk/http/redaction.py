"""Keeping secrets out of logs, reprs and error messages."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

MASK = "***"
#: headers whose values are never logged, whatever they hold
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
# very short "secrets" would mask ordinary text everywhere; a real credential is never this short
_MIN_SECRET_LENGTH = 4


def secret_variants(secret: str) -> set[str]:
    """The forms a secret can take on the wire: raw, URL-quoted, form-quoted, base64."""
    variants = {secret, quote(secret, safe=""), quote_plus(secret)}
    variants.add(base64.b64encode(secret.encode()).decode())
    return {v for v in variants if len(v) >= _MIN_SECRET_LENGTH}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (in any wire form) replaced by ``***``."""
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_LENGTH:
            forms |= secret_variants(secret)
    # longest first, so a secret that contains another is masked whole
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """Headers safe to log: sensitive ones masked outright, the rest redacted."""
    secrets = list(secrets)
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS else redact(value, secrets)
        for name, value in headers.items()
    }


# JSON / form fields whose values are credentials whatever they are called by a given remote
_SENSITIVE_FIELD = re.compile(
    r"""(?ix)
    (["']?(?:access_?token|refresh_?token|id_?token|token|password|passwd|secret|client_?secret|
    api_?key|api_?secret|authorization)["']?\s*[:=]\s*)
    ("[^"]*"|'[^']*'|[^\s&,}]+)
    """
)


def redact_body(text: str, secrets: Iterable[str], limit: int = 2000) -> str:
    """A body safe to log: known secrets and credential-named fields masked, then truncated."""
    text = redact(text, secrets)
    text = _SENSITIVE_FIELD.sub(lambda m: f"{m.group(1)}{MASK}", text)
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more chars)"
    return text
