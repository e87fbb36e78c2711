"""A toy channel with claims (returns), a correct connector for it, and kin with one claims bug
each: the claims suite must pass the first and catch each of the others by the named test
(``test_contract_kit_claims.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from kervan import ClaimFile, RecordKind, RecordProblem, RemoteRef
from kervan.domain import Claim, ClaimReason, Order
from kervan.errors import ConflictError
from kervan_sdk import map_record
from kervan_sdk.sandbox import page_count, paginate
from sdk_toys import ToyHub, ToySandbox

CLAIM_PAGE = 5
REASONS = [{"code": "used", "name": "returned used"}, {"code": "empty", "name": "empty parcel"}]
OPEN = ("created", "waiting")


class ClaimsSandbox(ToySandbox):
    """The toy channel, with buyers' claims and a claims API."""

    def __init__(self, **kw: Any) -> None:
        self.claims: list[dict[str, Any]] = []
        self.delivered: set[str] = set()
        self.files: dict[str, list[tuple[str, str, bytes]]] = {}
        super().__init__(**kw)

    # -- the kit's hooks
    def deliver(self, package_id: str) -> None:
        self.delivered.add(package_id)

    def customer_claim(self, package_id: str, *, arrived: bool = True) -> str:
        self.deliver(package_id)
        order = next(o for o in self.orders if o["package_id"] == package_id)
        lines = {ln["line_id"]: int(float(ln["quantity"])) for ln in order["lines"]}
        return self._open(order, lines, "customer", "waiting" if arrived else "created")

    def claim_attachments(self, claim_id: str) -> list[tuple[str, str, bytes]]:
        return list(self.files.get(claim_id, []))

    # -- state
    def _open(self, order: dict, lines: dict[str, int], opened_by: str, status: str) -> str:
        by_id = {ln["line_id"]: ln for ln in order["lines"]}
        claim_id = f"CLM{len(self.claims) + 1:05d}"
        self.claims.append(
            {
                "claim_id": claim_id,
                "order_number": order["order_number"],
                "package_id": order["package_id"],
                "claimed_at": self.clock.now().isoformat(),
                "opened_by": opened_by,
                "lines": [
                    {
                        "id": f"{claim_id}-{line_id}-{unit}",
                        "line_id": line_id,
                        "barcode": by_id[line_id]["barcode"],
                        "name": by_id[line_id]["name"],
                        "unit_price": by_id[line_id]["unit_price"],
                        "status": status,
                    }
                    for line_id, units in lines.items()
                    for unit in range(units)
                ],
            }
        )
        return claim_id

    def _claim(self, claim_id: str) -> dict[str, Any] | None:
        return next((c for c in self.claims if c["claim_id"] == claim_id), None)

    def _claimed(self, order_number: str, line_id: str) -> int:
        return sum(
            1
            for c in self.claims
            if c["order_number"] == order_number
            for ln in c["lines"]
            if ln["line_id"] == line_id and ln["status"] != "cancelled"
        )

    def routes(self, app: FastAPI) -> None:
        super().routes(app)

        @app.get("/claims")
        async def claims(page: int = 0, size: int = CLAIM_PAGE, order_number: str = ""):
            items = [c for c in self.claims if order_number in ("", c["order_number"])]
            return {
                "content": paginate(self, "/claims", items, page, size),
                "totalPages": page_count(len(items), size),
            }

        @app.get("/claim-reasons")
        async def reasons():
            return REASONS

        @app.post("/claims")
        async def create(body: dict):
            order = next(
                (o for o in self.orders if o["order_number"] == body["order_number"]), None
            )
            if order is None or order["package_id"] not in self.delivered:
                return JSONResponse({"message": "nothing delivered to return"}, status_code=400)
            ordered = {ln["line_id"]: int(float(ln["quantity"])) for ln in order["lines"]}
            for line_id, units in body["lines"].items():
                if self._claimed(order["order_number"], line_id) + units > ordered.get(line_id, 0):
                    return JSONResponse({"message": "units already claimed"}, status_code=409)
            return {"claim_id": self._open(order, body["lines"], "seller", "created")}

        @app.post("/claims/{claim_id}/approve")
        async def approve(claim_id: str, body: dict):
            return self._answer(claim_id, body["line_ids"], "accepted")

        @app.post("/claims/{claim_id}/reject")
        async def reject(claim_id: str, request: Request):
            form = await request.form()
            line_ids = str(form["line_ids"]).split(",")
            answer = self._answer(claim_id, line_ids, "rejected")
            if isinstance(answer, dict):
                for upload in form.getlist("files"):
                    if not isinstance(upload, str):
                        kind = upload.content_type or ""
                        entry = (upload.filename or "", kind, await upload.read())
                        self.files.setdefault(claim_id, []).append(entry)
            return answer

    def _answer(self, claim_id: str, line_ids: list[str], status: str) -> Any:
        claim = self._claim(claim_id)
        if claim is None:
            return JSONResponse({"message": "no such claim"}, status_code=404)
        lines = [ln for ln in claim["lines"] if ln["id"] in line_ids]
        if len(lines) != len(line_ids):
            return JSONResponse({"message": "no such claim line"}, status_code=400)
        if any(ln["status"] != "waiting" for ln in lines):
            return JSONResponse({"message": "only waiting lines can be answered"}, status_code=409)
        for line in lines:
            line["status"] = status
        return {"claim_id": claim_id}


class ClaimsToy(ToyHub):
    """The toy hub with claims: once per fetch, answers that may be asked twice, create that
    finds a standing claim first."""

    sandbox = "sdk_claims_toys:ClaimsSandbox"

    def map_claim(self, raw: dict[str, Any]) -> Claim:
        return Claim.model_validate(
            {
                "id": f"{self.context.connection_id}:{raw['claim_id']}",
                "tenant_id": self.context.tenant_id,
                "connection_id": self.context.connection_id,
                "external_id": raw["claim_id"],
                "order_number": raw["order_number"],
                "package_id": raw["package_id"],
                "claimed_at": raw["claimed_at"],
                "opened_by": raw["opened_by"],
                "lines": [
                    {
                        "id": ln["id"],
                        "order_line_id": ln["line_id"],
                        "barcode": ln["barcode"],
                        "name": ln["name"],
                        "unit_price": ln["unit_price"],
                        "reason": {"code": "return", "name": "return"},
                        "status": ln["status"],
                    }
                    for ln in raw["lines"]
                ],
            }
        )

    def claim_or_problem(self, raw: Any) -> Claim | RecordProblem:
        return map_record(RecordKind.CLAIM, raw, self.map_claim, remote_id="claim_id")

    async def raw_claims(self) -> AsyncIterator[Any]:
        page, pages = 0, 1
        while page < pages:
            body = await self.client.json("GET", "/claims", params={"page": page})
            pages = body["totalPages"]
            for raw in body["content"]:
                yield raw
            page += 1

    async def fetch_claims(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        seen: set[str | None] = set()
        async for raw in self.raw_claims():
            claim = self.claim_or_problem(raw)
            key = claim.remote_id if isinstance(claim, RecordProblem) else claim.external_id
            if key not in seen:
                seen.add(key)
                yield claim

    async def _answer(self, path: str, **kw: Any) -> bool:
        """Whether the channel had it already (409: the lines were answered before)."""
        response = await self.client.request("POST", path, ok={200, 409}, idempotent=True, **kw)
        return response.status_code == 409

    async def approve_claim(self, claim: Claim, line_ids: list[str]) -> RemoteRef:
        done = await self._answer(
            f"/claims/{claim.external_id}/approve", json={"line_ids": line_ids}
        )
        return RemoteRef(remote_id=claim.external_id, already_done=done)

    def evidence(self, files: list[ClaimFile]) -> list[ClaimFile]:
        return files

    async def reject_claim(
        self,
        claim: Claim,
        line_ids: list[str],
        reason_code: str,
        description: str,
        files: list[ClaimFile] | None = None,
    ) -> RemoteRef:
        parts: list[tuple[str, tuple[str | None, Any, str | None]]] = [
            ("line_ids", (None, ",".join(line_ids), None)),
            ("reason", (None, reason_code, None)),
        ]
        parts += [("files", (f.name, f.data, f.content_type)) for f in self.evidence(files or [])]
        done = await self._answer(f"/claims/{claim.external_id}/reject", files=parts)
        return RemoteRef(remote_id=claim.external_id, already_done=done)

    async def claim_reasons(self) -> list[ClaimReason]:
        body = await self.client.json("GET", "/claim-reasons")
        return [ClaimReason(code=r["code"], name=r["name"], source="seller") for r in body]

    async def standing_claim(self, order: Order, lines: dict[str, int]) -> str | None:
        body = await self.client.json(
            "GET", "/claims", params={"order_number": order.order_number, "size": 100}
        )
        for raw in body["content"]:
            units: dict[str, int] = {}
            for line in raw["lines"]:
                if line["status"] in OPEN:
                    units[line["line_id"]] = units.get(line["line_id"], 0) + 1
            if all(units.get(k, 0) >= n for k, n in lines.items()):
                return str(raw["claim_id"])
        return None

    async def create_claim(
        self, order: Order, lines: dict[str, int], reason_code: str, note: str | None = None
    ) -> RemoteRef:
        found = await self.standing_claim(order, lines)
        if found is not None:
            return RemoteRef(remote_id=found, already_done=True)
        body = {"order_number": order.order_number, "lines": lines}
        try:
            answer = await self.client.json("POST", "/claims", json=body)
        except ConflictError:
            found = await self.standing_claim(order, lines)
            if found is None:
                raise
            return RemoteRef(remote_id=found, already_done=True)
        return RemoteRef(remote_id=answer["claim_id"])


# ---------------------------------------------------------------------------------------------
# one claims bug each


class RepeatingClaimsToy(ClaimsToy):
    """Yields every claim it reads: overlapping pages hand the engine a claim twice."""

    async def fetch_claims(self, since: datetime) -> AsyncIterator[Claim | RecordProblem]:
        async for raw in self.raw_claims():
            yield self.claim_or_problem(raw)


class FragileClaimsToy(ClaimsToy):
    """Lets a claim it cannot map raise: one bad claim fails the whole import."""

    def claim_or_problem(self, raw: Any) -> Claim | RecordProblem:
        return self.map_claim(raw)


class OnePhotoToy(ClaimsToy):
    """Sends only the first file with a rejection: the packing evidence never arrives."""

    def evidence(self, files: list[ClaimFile]) -> list[ClaimFile]:
        return files[:1]


class BlindCreateToy(ClaimsToy):
    """Creates without looking: asked twice, or after a buyer's claim, it fails or opens a
    second claim for the same units."""

    async def create_claim(
        self, order: Order, lines: dict[str, int], reason_code: str, note: str | None = None
    ) -> RemoteRef:
        body = {"order_number": order.order_number, "lines": lines}
        answer = await self.client.json("POST", "/claims", json=body)
        return RemoteRef(remote_id=answer["claim_id"])


class TouchyApproveToy(ClaimsToy):
    """Takes the channel's "already answered" for a failure."""

    async def approve_claim(self, claim: Claim, line_ids: list[str]) -> RemoteRef:
        await self.client.json(
            "POST", f"/claims/{claim.external_id}/approve", json={"line_ids": line_ids}
        )
        return RemoteRef(remote_id=claim.external_id)
