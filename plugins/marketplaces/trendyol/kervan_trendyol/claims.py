"""Returns (claims): list, approve, reject with a photo, create, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from kervan import RecordProblem, RemoteRef
from kervan.domain import Claim, Order
from kervan.errors import InvalidInputError, RemoteRejectedError

from .mapping import claim_of, claim_or_problem, to_epoch_ms
from .orders import HISTORY, windows

if TYPE_CHECKING:
    from .client import TrendyolClient
    from .settings import TrendyolSettings

#: rejection reasons for which Trendyol does not ask for a file (photo)
NO_FILE_REASONS = frozenset({1651, 451, 2101})
MAX_DESCRIPTION = 500
CLAIM_PAGE_SIZE = 200


class ClaimsMixin:
    settings: TrendyolSettings
    client: TrendyolClient
    context: Any

    def map_claim(self, raw: dict[str, Any]) -> Claim:
        """One raw claim as ``fetch_claims`` maps it (raises if it cannot): for replays."""
        return claim_of(
            raw, tenant_id=self.context.tenant_id, connection_id=self.context.connection_id
        )

    def fetch_claims(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        """Claims *created* since ``since`` (Trendyol filters getClaims on the creation date).

        To follow the status of an open claim, call again with ``since`` at or before its
        ``claimed_at``; each claim is yielded once per call, with its current item statuses.
        A claim that breaks Trendyol's contract comes as a :class:`~kervan.RecordProblem`.
        """
        return self._claims_since(since)

    async def _claims_since(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        now = self.context.clock()
        start = max(since, now - HISTORY)  # the caller owns any overlap
        seen: set[str] = set()
        for lo, hi in windows(start, now):
            page = 0
            while True:
                body = await self.client.get_claims(
                    {
                        "startDate": to_epoch_ms(lo),
                        "endDate": to_epoch_ms(hi),
                        "page": page,
                        "size": CLAIM_PAGE_SIZE,
                    }
                )
                for raw in body["content"]:
                    claim = claim_or_problem(
                        raw,
                        tenant_id=self.context.tenant_id,
                        connection_id=self.context.connection_id,
                    )
                    if isinstance(claim, RecordProblem):
                        yield claim  # kept in quarantine; the other claims go on
                    elif claim.external_id not in seen:
                        seen.add(claim.external_id)
                        yield claim
                page += 1
                if page >= int(body.get("totalPages") or 0) or not body["content"]:
                    break

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
        """Accept the returned units (only items ``WaitingInAction`` can be approved)."""
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
        photo: bytes | None = None,
    ) -> RemoteRef:
        """Open a rejection (claim issue) with Trendyol's reason id and, mostly, a photo."""
        if not reason_code.isdigit():
            raise InvalidInputError("reason_code must be a Trendyol claimIssueReasonId")
        reason_id = int(reason_code)
        if not line_ids:
            raise InvalidInputError("reject needs at least one claim line id")
        if not description.strip() or len(description) > MAX_DESCRIPTION:
            raise InvalidInputError(f"description must be 1–{MAX_DESCRIPTION} characters")
        if photo is None and reason_id not in NO_FILE_REASONS:
            raise InvalidInputError(f"Trendyol needs a photo for rejection reason {reason_id}")
        try:
            await self.client.create_claim_issue(
                claim.external_id,
                reason_id=reason_id,
                item_ids=line_ids,
                description=description,
                attachment=photo,
            )
        except RemoteRejectedError:
            statuses = await self._item_statuses(claim.external_id)
            if all(statuses.get(i) in {"Unresolved", "Rejected"} for i in line_ids):
                return RemoteRef(remote_id=claim.external_id, already_done=True)
            raise
        return RemoteRef(remote_id=claim.external_id)

    async def create_claim(
        self, order: Order, lines: dict[str, int], reason_code: str, note: str | None = None
    ) -> RemoteRef:
        """Open a claim for goods that came back without a return code (status ``Created``).

        Trendyol means this service for returns the seller will approve; ``reason_code`` is a
        customer return reason id (401 "Vazgeçtim" when in doubt).
        """
        by_id = {line.line_id: line for line in order.lines}
        items = []
        for line_id, quantity in lines.items():
            line = by_id.get(line_id)
            if line is None or not 0 < quantity <= line.quantity:
                raise InvalidInputError(f"cannot claim {quantity} of line {line_id}")
            items.append(
                {
                    "barcode": line.barcode,
                    "quantity": int(quantity),
                    "reasonId": int(reason_code) if reason_code.isdigit() else 401,
                    "customerNote": note or "İade kodu olmadan gelen iade",
                }
            )
        started = self.context.clock()
        barcodes = {item["barcode"] for item in items}

        async def lookup() -> httpx.Response | None:
            # after a lost answer: did Trendyol create it? (a new claim for these barcodes)
            found = await self.client.get_claims({"orderNumber": order.order_number})
            for raw in found["content"]:
                created = raw.get("claimDate") or 0
                raw_barcodes = {
                    (group.get("orderLine") or {}).get("barcode") for group in raw.get("items", [])
                }
                if created >= to_epoch_ms(started) - 60_000 and barcodes <= raw_barcodes:
                    return httpx.Response(200, json={"claimId": raw.get("claimId", raw.get("id"))})
            return None

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
        return RemoteRef(remote_id=str(response.json().get("claimId")))

    async def claim_audit(self, claim_line_id: str) -> list[dict[str, Any]]:
        """Who moved a claim item between statuses, and when (Trendyol's audit trail)."""
        return await self.client.claim_item_audit(claim_line_id)
