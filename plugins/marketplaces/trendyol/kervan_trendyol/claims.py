"""Returns (claims): list, approve, reject with evidence files, create, reasons, audit.

Trendyol's rules (deadlines, files, who opened a claim) and their sources are in
:mod:`kervan_trendyol.claim_rules`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from kervan import ClaimFile, RecordProblem, RemoteRef
from kervan.domain import Claim, ClaimLineStatus, ClaimReason, Order
from kervan.errors import InvalidInputError, InvalidResponseError, RemoteRejectedError

from .claim_rules import check_rejection, opened_by_of, reason_id, respond_by_of
from .mapping import claim_of, claim_or_problem, to_epoch_ms
from .orders import HISTORY, windows

if TYPE_CHECKING:
    from .client import TrendyolClient
    from .settings import TrendyolSettings

#: getClaims' largest page [TY-SPEC getClaims ``size`` maximum]
CLAIM_PAGE_SIZE = 200
#: a claim with an item in one of these is still open: the audit is read for its deadline and
#: for who opened it (settled claims need neither, and are many)
OPEN = frozenset({ClaimLineStatus.CREATED, ClaimLineStatus.WAITING})
#: item statuses of a claim that no longer stands (a new claim may be opened for its units)
CLOSED = frozenset({"Cancelled", "Rejected"})


class ClaimsMixin:
    settings: TrendyolSettings
    client: TrendyolClient
    context: Any

    def map_claim(self, raw: dict[str, Any]) -> Claim:
        """One raw claim as ``fetch_claims`` maps it (raises if it cannot): for replays. The
        deadline and the opener come from the audit trail, so a replay leaves ``respond_by``
        unset and ``opened_by`` at ``customer``; the next fetch fills them."""
        return claim_of(
            raw, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    def fetch_claims(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        """Claims *created* since ``since`` (Trendyol filters getClaims on the creation date).

        To follow the status of an open claim, call again with ``since`` at or before its
        ``claimed_at``; each claim is yielded once per call, with its current item statuses,
        however often overlapping pages or windows repeat it. An open claim (an item
        ``Created`` or ``WaitingInAction``) costs one audit read more, for ``respond_by`` and
        ``opened_by``. A claim that breaks Trendyol's contract comes as a
        :class:`~kervan.RecordProblem`, also once per call.
        """
        return self._claims_since(since)

    async def _claims_since(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        now = self.context.clock()
        start = max(since, now - HISTORY)  # the caller owns any overlap
        seen: set[str] = set()
        size = min(self.settings.page_size, CLAIM_PAGE_SIZE)
        for lo, hi in windows(start, now):
            page = 0
            while True:
                params = {"startDate": to_epoch_ms(lo), "endDate": to_epoch_ms(hi)}
                body = await self.client.get_claims({**params, "page": page, "size": size})
                for raw in body["content"]:
                    claim = claim_or_problem(
                        raw,
                        tenant_id=self.context.tenant_id,
                        connection_id=self.context.connection_id,
                    )
                    key = claim.remote_id if isinstance(claim, RecordProblem) else claim.external_id
                    if key is not None and key in seen:
                        continue  # a repeat from an overlapping page
                    if key is not None:
                        seen.add(key)
                    yield claim if isinstance(claim, RecordProblem) else await self._traced(claim)
                page += 1
                if page >= int(body.get("totalPages") or 0) or not body["content"]:
                    break

    async def _traced(self, claim: Claim) -> Claim:
        """An open claim with its auto-accept deadline and its opener, from the audit trail of
        its first item (a claim's items come back in one parcel, so they wait together)."""
        if not any(line.status in OPEN for line in claim.lines):
            return claim
        waiting = [line for line in claim.lines if line.status is ClaimLineStatus.WAITING]
        line = (waiting or claim.lines)[0]
        try:
            audit = await self.client.claim_item_audit(line.id)
        except (RemoteRejectedError, InvalidResponseError):
            return claim  # no trail to read: the claim as getClaims tells it
        return claim.model_copy(
            update={
                "respond_by": respond_by_of(audit) if waiting else None,
                "opened_by": opened_by_of(audit),
            }
        )

    async def _claim(self, claim_id: str) -> dict[str, Any] | None:
        body = await self.client.get_claims({"claimIds": claim_id, "size": 1})
        return next(iter(body["content"]), None)

    async def _item_statuses(self, claim_id: str) -> dict[str, str]:
        raw = await self._claim(claim_id) or {}
        return {
            str(item["id"]): (item.get("claimItemStatus") or {}).get("name", "")
            for group in raw.get("items") or []
            for item in group.get("claimItems") or []
        }

    async def approve_claim(self, claim: Claim, line_ids: list[str]) -> RemoteRef:
        """Accept the returned units (only items ``WaitingInAction`` can be approved). Asked
        again for items already accepted (or in Trendyol's fraud check after an approval), it
        answers ``already_done``."""
        if not line_ids:
            raise InvalidInputError("approve needs at least one claim line id")
        try:
            await self.client.approve_claim_items(claim.external_id, line_ids)
        except RemoteRejectedError:
            statuses = await self._item_statuses(claim.external_id)
            done = {"Accepted", "WaitingFraudCheck"}
            if all(statuses.get(i) in done for i in line_ids):
                return RemoteRef(remote_id=claim.external_id, already_done=True)
            raise
        return RemoteRef(remote_id=claim.external_id)

    async def reject_claim(
        self,
        claim: Claim,
        line_ids: list[str],
        reason_code: str,
        description: str,
        files: list[ClaimFile] | None = None,
    ) -> RemoteRef:
        """Open a rejection (claim issue) with Trendyol's reason id, a description and the
        evidence files (photos, the packing evidence as PDF), all in one multipart request.

        Refused before any call (:class:`~kervan.errors.InvalidInputError`): a reason code
        that is no id, no line ids, a description outside 1–500 characters, a reason other
        than 451/1651/2101 without a file, and files beyond the limits in
        :mod:`~kervan_trendyol.claim_rules`. Asked again for items already in dispute or
        rejected, it answers ``already_done``.
        """
        reason = reason_id(reason_code)
        evidence = list(files or [])
        check_rejection(reason, line_ids, description, evidence)
        try:
            await self.client.create_claim_issue(
                claim.external_id,
                reason_id=reason,
                item_ids=line_ids,
                description=description,
                files=[(f.name, f.data, f.content_type) for f in evidence],
            )
        except RemoteRejectedError:
            statuses = await self._item_statuses(claim.external_id)
            if all(statuses.get(i) in {"Unresolved", "Rejected"} for i in line_ids):
                return RemoteRef(remote_id=claim.external_id, already_done=True)
            raise
        return RemoteRef(remote_id=claim.external_id)

    async def claim_reasons(self) -> list[ClaimReason]:
        """Trendyol's rejection (claim issue) reasons, ``code`` the ``claimIssueReasonId``
        that :meth:`reject_claim` takes [TY-SPEC getClaimIssueReasons]."""
        reasons = []
        for raw in await self.client.claim_issue_reasons():
            if not isinstance(raw, dict) or raw.get("id") is None:
                raise InvalidResponseError(
                    "Trendyol getClaimIssueReasons answered a reason without an id",
                    remote="trendyol",
                )
            name = str(raw.get("name") or raw["id"])
            reasons.append(ClaimReason(code=str(raw["id"]), name=name, source="seller"))
        return reasons

    async def create_claim(
        self, order: Order, lines: dict[str, int], reason_code: str, note: str | None = None
    ) -> RemoteRef:
        """Open a claim for goods that came back without a return code (status ``Created``);
        ``remote_id`` is the ``claimId`` that getClaims reports for it.

        Trendyol means this service for returns the seller will approve; ``reason_code`` is a
        customer return reason id (401 "Vazgeçtim" as Trendyol suggests). Idempotent: a claim
        still standing (no item cancelled or rejected) on this order that holds at least
        these units is answered (``already_done``) instead of opening a second one, whoever
        opened it; an answer lost on the way is looked up before sending again.
        """
        items = self._claim_items(order, lines, reason_code, note)
        wanted = {item["barcode"]: item["quantity"] for item in items}
        found = await self._standing_claim(order.order_number, wanted)
        if found is not None:
            return RemoteRef(remote_id=found, already_done=True)

        async def lookup() -> httpx.Response | None:
            # after a lost answer: did Trendyol create it?
            claim_id = await self._standing_claim(order.order_number, wanted)
            return None if claim_id is None else httpx.Response(200, json={"claimId": claim_id})

        response = await self.client.request(
            "POST",
            f"/integration/order/sellers/{self.settings.seller_id}/claims/create",
            json={
                "orderNumber": order.order_number,
                "claimItems": items,
                "excludeListing": False,
                "forcePackageCreation": False,
            },
            rate_key="POST claims",
            lookup_before_retry=lookup,
        )
        claim_id = response.json().get("claimId") if response.content else None
        if not claim_id:
            raise InvalidResponseError(
                "Trendyol createClaim answered no claimId", remote="trendyol"
            )
        return RemoteRef(remote_id=str(claim_id))

    @staticmethod
    def _claim_items(
        order: Order, lines: dict[str, int], reason_code: str, note: str | None
    ) -> list[dict[str, Any]]:
        if not lines:
            raise InvalidInputError("a claim needs at least one order line")
        if not reason_code.isdigit():
            raise InvalidInputError(
                f"reason code {reason_code!r} is no Trendyol return reason id (401: Vazgeçtim)"
            )
        by_id = {line.line_id: line for line in order.lines}
        items = []
        for line_id, quantity in lines.items():
            line = by_id.get(line_id)
            if line is None or not 0 < quantity <= line.quantity:
                raise InvalidInputError(
                    f"cannot claim {quantity} of line {line_id} of order {order.order_number}"
                )
            items.append(
                {
                    "barcode": line.barcode,
                    "quantity": int(quantity),
                    "reasonId": int(reason_code),
                    "customerNote": note or "İade kodu olmadan gelen iade",
                }
            )
        return items

    async def _standing_claim(self, order_number: str, wanted: dict[str, int]) -> str | None:
        """The id of a claim on ``order_number`` with no item cancelled or rejected that holds
        at least ``wanted`` units of each barcode (None: there is none)."""
        body = await self.client.get_claims({"orderNumber": order_number, "size": CLAIM_PAGE_SIZE})
        for raw in body["content"]:
            units: dict[str, int] = {}
            closed = False
            for group in raw.get("items") or []:
                barcode = (group.get("orderLine") or {}).get("barcode")
                for item in group.get("claimItems") or []:
                    closed |= (item.get("claimItemStatus") or {}).get("name") in CLOSED
                    units[barcode] = units.get(barcode, 0) + 1
            if not closed and all(units.get(b, 0) >= n for b, n in wanted.items()):
                return str(raw.get("claimId") or raw.get("id"))
        return None

    async def claim_audit(self, claim_line_id: str) -> list[dict[str, Any]]:
        """Who moved a claim item between statuses, and when (Trendyol's audit trail)."""
        return await self.client.claim_item_audit(claim_line_id)
