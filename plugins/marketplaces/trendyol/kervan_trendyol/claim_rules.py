"""Trendyol's rules for claims (returns), as pure functions: which rejection needs a file, what
files a rejection may carry, when an unanswered claim is accepted for the seller, who opened it.

Sources (TY-SPEC = Trendyol's API reference as captured in ``loncadev/lonca``
``specs/trendyol/marketplace.json``, portal pages of 2026-01-27/28):

- Auto-accept: the ``autoAccepted`` field of getClaims reads "48 saat beklemede kalan iadeler
  sistem tarafından otomatik olarak kabul edilir" (claims left waiting 48 hours are accepted by
  the system) [TY-SPEC getClaims]. Trendyol publishes no per-claim deadline, so
  :func:`respond_by_of` derives it: 48 hours after the item entered ``WaitingInAction`` (the
  parcel reached the seller; only such items can be approved or rejected), a time read from
  the item's audit trail (getClaimItemAudits ``date``). That the 48 hours count from that
  transition, not from the claim's creation, is our reading of "beklemede" (waiting).
- Files: createClaimIssue is ``multipart/form-data`` with the binary array ``files``
  [TY-SPEC createClaimIssue]; attachments are "pdf, jpeg vb." (pdf, jpeg, etc.) [same, and
  https://developers.trendyol.com/tr/marketplace-entegrasyonu/iade-entegrasyonu/iade-siparislerinde-ret-talebi-olusturma].
  A file is mandatory for every reason except 1651, 451 and 2101
  [https://developers.trendyol.com/v3.0/docs/5-reject-returned-orders and
  https://developers.trendyol.com/v3.0/docs/4-approve-returned-orders-1]. No size, count or
  exhaustive type limit is published: the types and the 10 MB per file below are those of
  Trendyol's seller-invoice-file service ("Fatura Dosyası Gönderme",
  https://developers.trendyol.com/docs/fatura-dosyası-gönderme), and the count of 10 is ours;
  both are *assumptions*, enforced so that a refusal comes before any call.
- Who opened a claim: getClaims does not say. The audit's first entry (``"" → Created``) names
  the platform that made the change (``userInfoDocument.executorApp``), and a change made
  through the API shows ``SellerIntegrationApi`` [TY-SPEC getClaimItemAudits example]; a claim
  created that way was opened by the seller through createClaim. *Inferred*, not stated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kervan import ClaimFile
from kervan.errors import InvalidInputError

from .mapping import from_epoch_ms

#: rejection (claim issue) reasons that need no file; every other reason needs one
NO_FILE_REASONS = frozenset({1651, 451, 2101})
#: 1651 ("the return package did not reach me") may not be used in an item's first 24 hours
#: of ``WaitingInAction`` [TY-DOCS createClaimIssue, apis-2.md 1.4]
NOT_RECEIVED_REASON = 1651
NOT_RECEIVED_AFTER = timedelta(hours=24)
MAX_DESCRIPTION = 500
#: how long a claim item may wait for the seller before Trendyol accepts it
AUTO_ACCEPT_AFTER = timedelta(hours=48)
#: attachment limits (assumed, see the module docstring)
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
#: content type → the first bytes a file of that type starts with
FILE_TYPES: Mapping[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
#: the audit's ``executorApp`` for changes made through Trendyol's seller integration API
INTEGRATION_API = "SellerIntegrationApi"
WAITING = "WaitingInAction"


def reason_id(reason_code: str) -> int:
    """Trendyol's ``claimIssueReasonId`` from a Kervan reason code (its decimal digits)."""
    if not reason_code.isdigit():
        raise InvalidInputError(
            f"reason code {reason_code!r} is no Trendyol claimIssueReasonId: take one from "
            "claim_reasons()"
        )
    return int(reason_code)


def check_rejection(
    reason: int, line_ids: Sequence[str], description: str, files: Sequence[ClaimFile]
) -> None:
    """Refuse, before any call, a rejection Trendyol would refuse or could not hold."""
    if not line_ids:
        raise InvalidInputError("a rejection needs at least one claim line id")
    if not description.strip() or len(description) > MAX_DESCRIPTION:
        raise InvalidInputError(
            f"the rejection's description must be 1–{MAX_DESCRIPTION} characters "
            f"(it has {len(description)})"
        )
    if not files and reason not in NO_FILE_REASONS:
        raise InvalidInputError(
            f"Trendyol needs at least one file (a photo or a PDF) to reject with reason "
            f"{reason}; only reasons {sorted(NO_FILE_REASONS)} go without one"
        )
    check_files(files)


def check_files(files: Sequence[ClaimFile]) -> None:
    """At most :data:`MAX_FILES` files, each a PDF, JPEG or PNG (its bytes must agree with its
    declared type) of at most :data:`MAX_FILE_BYTES`."""
    if len(files) > MAX_FILES:
        raise InvalidInputError(
            f"a rejection carries at most {MAX_FILES} files; {len(files)} were given"
        )
    for file in files:
        magic = FILE_TYPES.get(file.content_type.lower())
        if magic is None:
            raise InvalidInputError(
                f"file {file.name!r} is {file.content_type}: Trendyol takes "
                f"{', '.join(FILE_TYPES)} (render packing evidence such as a scan log as PDF)"
            )
        if not file.data:
            raise InvalidInputError(f"file {file.name!r} is empty")
        if len(file.data) > MAX_FILE_BYTES:
            raise InvalidInputError(
                f"file {file.name!r} is {len(file.data):,} bytes; at most "
                f"{MAX_FILE_BYTES:,} bytes a file"
            )
        if not file.data.startswith(magic):
            raise InvalidInputError(
                f"file {file.name!r} says it is {file.content_type} but its content is not"
            )


def waiting_since(audit: Iterable[Mapping[str, Any]]) -> datetime | None:
    """When the item last entered ``WaitingInAction`` (None: it never did)."""
    entered = [
        from_epoch_ms(entry.get("date"))
        for entry in audit
        if isinstance(entry, Mapping) and entry.get("newStatus") == WAITING
    ]
    known = [when for when in entered if when is not None]
    return max(known) if known else None


def respond_by_of(audit: Iterable[Mapping[str, Any]]) -> datetime | None:
    """When Trendyol accepts the item for the seller unless the seller answers first."""
    since = waiting_since(audit)
    return since + AUTO_ACCEPT_AFTER if since is not None else None


def opened_by_of(audit: Iterable[Mapping[str, Any]]) -> str:
    """``seller`` when the claim was created through the integration API, else ``customer``."""
    for entry in audit:
        if isinstance(entry, Mapping) and not entry.get("previousStatus"):
            app = (entry.get("userInfoDocument") or {}).get("executorApp")
            return "seller" if app == INTEGRATION_API else "customer"
    return "customer"
