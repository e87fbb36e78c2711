"""Redaction by value: the one place that keeps secrets out of errors, health, logs and bodies.

A secret can leave a process in more shapes than its plain text. A remote that echoes our
``Authorization`` header hands back ``base64(user:secret)``; a query string carries it
percent-encoded; a JSON or XML error body escapes it. :class:`Redactor` masks every secret in
each of those forms:

- plain, JSON-escaped and XML-escaped text;
- percent-encoded (``quote`` with and without ``/`` safe, and ``quote_plus``);
- base64, standard and URL-safe alphabets, with and without padding, *at every byte alignment*,
  so a secret inside a larger base64 value (``Basic base64(user:secret)``, a JWT, a SOAP
  header) is masked whatever precedes it. Only the characters that depend on the secret's
  own bytes are masked: the one or two characters around it that mix neighbouring bytes
  reveal at most a few bits (GitHub Actions masks encoded secrets the same way).

Values shorter than :data:`MIN_SECRET_LENGTH` are ignored: masking a 3-character "secret"
would mask ordinary words everywhere, and no real credential is that short.

The module also keeps a process-wide set of the secrets in use (:func:`remember`) and
:func:`install_log_redaction` makes every log record pass through it, whichever logger or
handler it goes to; :func:`scrub_exception` rewrites an exception and its chain in place.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
#: headers whose values are never logged, whatever they hold
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)
MIN_SECRET_LENGTH = 4
# shortest encoded fragment worth masking: below this a fragment matches ordinary text
_MIN_FORM_LENGTH = 4


def _base64_forms(raw: bytes) -> set[str]:
    """Every base64 fragment that appears wherever ``raw`` is base64-encoded in a larger value.

    ``raw`` starting at byte offset ``k`` (mod 3) of the encoded value occupies bits
    ``[8k, 8k + 8n)``; the output characters entirely inside that range depend on ``raw``
    alone, so they are the same whatever surrounds it.
    """
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode()
        forms |= {whole, whole.rstrip("=")}
        for k in range(3):
            text = encode(b"\0" * k + raw).decode()
            first = -(-8 * k // 6)  # ceil(8k / 6)
            last = (8 * (k + len(raw))) // 6
            forms.add(text[first:last])
    return forms


def secret_forms(secret: str) -> set[str]:
    """The forms ``secret`` can take on the wire or in a stored message (see module doc)."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret, quote=False),
        html.escape(secret),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
    forms |= {f.lower() for f in forms if "%" in f}  # %2f as well as %2F
    forms |= _base64_forms(secret.encode())
    return {f for f in forms if len(f) >= _MIN_FORM_LENGTH}


class Redactor:
    """Masks a fixed set of secrets, in every form, in text and in JSON-like values."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self.secrets = frozenset(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
        forms: set[str] = set()
        for secret in self.secrets:
            forms |= secret_forms(secret)
        # longest first, so a form that contains another is masked whole
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __repr__(self) -> str:
        return f"<Redactor secrets={len(self.secrets)}>"

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        """``text`` with every form of every secret replaced by ``***``."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def value(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings) with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value

    def exception(self, exc: BaseException) -> BaseException:
        """Redact ``exc`` and its ``__cause__``/``__context__`` chain in place; return it.

        ``args`` and every string, list or dict attribute (a :class:`~kervan.errors.KervanError`'s
        ``message``, ``detail``, ``remote_message``) are rewritten, so ``str(exc)``, a logged
        traceback and anything a caller copies out of the error are all clean.
        """
        if self._pattern is None:
            return exc
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            _scrub_one(current, self)
            current = current.__cause__ or current.__context__
        return exc


def _scrub_one(exc: BaseException, redactor: Redactor) -> None:
    # an exception type may have read-only args or attributes: leave those as they are
    with contextlib.suppress(AttributeError, TypeError):
        exc.args = tuple(redactor.value(a) for a in exc.args)
    for name, attr in list(vars(exc).items()):
        if isinstance(attr, str | list | dict | tuple):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, name, redactor.value(attr))
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [redactor.text(n) if isinstance(n, str) else n for n in notes]


@functools.lru_cache(maxsize=256)
def redactor_for(secrets: frozenset[str]) -> Redactor:
    """A (cached) :class:`Redactor` for ``secrets``: callers that redact on every request with
    the same few secrets build the pattern once."""
    return Redactor(secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret (in any form) replaced by ``***``."""
    return redactor_for(frozenset(s for s in secrets if s)).text(text)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """Headers safe to log: sensitive ones masked outright, the rest redacted."""
    redactor = redactor_for(frozenset(s for s in secrets if s))
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS else redactor.text(value)
        for name, value in headers.items()
    }


# JSON / form / XML fields whose values are credentials whatever a given remote calls them
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


# -- the process-wide set, for logs -------------------------------------------------------------

_lock = threading.Lock()
_known: set[str] = set()
_current = Redactor(())


def remember(secrets: Iterable[str | None]) -> None:
    """Add secrets in use by this process to the set every log record is redacted with."""
    global _current
    fresh = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH} - _known
    if not fresh:
        return
    with _lock:
        _known.update(fresh)
        _current = Redactor(_known)


def known() -> Redactor:
    """A redactor for every secret :func:`remember` was given in this process."""
    return _current


_installed = False


def install_log_redaction() -> None:
    """Make every log record created from now on carry redacted text (idempotent).

    Done in the log record factory rather than a handler filter so it holds for every logger
    and handler (uvicorn's, dramatiq's, pytest's capture, a file), including exception
    tracebacks, which are rendered and redacted here once.
    """
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor = _current
        if redactor:
            _redact_record(record, redactor)
        return record

    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it for logging to report
        return
    record.msg, record.args = redactor.text(message), None
    if record.exc_info and record.exc_info[1] is not None:
        redactor.exception(record.exc_info[1])
        record.exc_text = redactor.text(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redactor.text(record.stack_info)
