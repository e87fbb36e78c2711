"""Records a connector cannot map: reported, never raised, so one bad record costs no good one.

A remote sometimes sends a record that breaks its own contract: a package without lines, a
price that is not a number, an id that is missing. Raising for it would fail the whole page
like an outage (retried, dead-lettered) and the good records beside it would never arrive.
Instead a connector yields a :class:`RecordProblem` in place of the mapped item; the engine
keeps it raw in quarantine with the reason, ingests the rest and moves on. After a fix (a new
plugin version, or the remote sending a good version), the raw record is mapped again through
the connector's ``map_order`` / ``map_claim`` / ``map_listings``.

Only *per-record* faults are problems. A page that is not JSON, or has the wrong envelope, is
still an error of the whole call (``InvalidResponseError``).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import KervanError

#: how much of a reason is kept (a reason names fields, not data)
MAX_REASON = 1000


class RecordKind(StrEnum):
    """What a remote record was meant to become."""

    ORDER = "order"  # a package; ``remote_id`` is what ``Order.package_id`` would be
    CLAIM = "claim"  # a return; ``remote_id`` is what ``Claim.external_id`` would be
    LISTING = "listing"  # a product; ``remote_id`` is its barcode or the remote's product id


class RecordProblem(BaseModel):
    """A remote record a connector could not map, yielded (or returned) in its place.

    ``raw`` is the record exactly as the remote sent it (JSON-able; a non-object is wrapped
    as ``{"value": ...}``); ``reason`` says what is wrong in words a person can act on, naming
    fields rather than quoting buyer data; ``remote_id`` is the record's id at the remote when
    it could be read, so a later good version of the same record resolves the problem.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    raw: dict[str, Any]
    reason: str = Field(min_length=1, max_length=MAX_REASON)
    remote_id: str | None = None

    @field_validator("raw", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> dict[str, Any]:
        # round-trip through JSON: what is stored and replayed later is what the remote sent
        plain = json.loads(json.dumps(value, default=str, ensure_ascii=False))
        return plain if isinstance(plain, dict) else {"value": plain}

    @field_validator("reason", mode="before")
    @classmethod
    def _short(cls, value: Any) -> str:
        text = str(value).strip() or "the record could not be mapped"
        return text[:MAX_REASON]

    @field_validator("remote_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> str | None:
        return None if value in (None, "") else str(value)

    @classmethod
    def from_error(
        cls, kind: RecordKind | str, raw: Any, error: BaseException, remote_id: Any = None
    ) -> RecordProblem:
        """The problem for a record whose mapping raised ``error``."""
        return cls(kind=RecordKind(kind), raw=raw, reason=describe(error), remote_id=remote_id)


def describe(error: BaseException) -> str:
    """A mapping error in words: Kervan errors by their message, pydantic validation errors
    by field locations only (their text quotes the input, which may be buyer data), anything
    else by its type and message."""
    if isinstance(error, KervanError):
        return error.message
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            found = errors(include_input=False, include_url=False)
        except TypeError:  # an ``errors`` that is not pydantic's
            found = None
        if found:
            return "invalid fields: " + "; ".join(
                ".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in found
            )
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
