"""A toy carrier with correct returns (``ReturnsToy``) on a sandbox that keeps return codes, and
kin that each get one thing about returns wrong. The returns part of the shipping suite must pass
the first and catch each of the others with the named test."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from kervan import RemoteRef, ReturnBooking, ReturnRequest
from kervan.domain import TrackingEvent, TrackingStatus
from kervan.errors import ConflictError
from sdk_toys import ToyHub, ToySandbox

#: hours after the hand-in → where the returned parcel is
RETURN_JOURNEY = ((0, "picked_up"), (6, "in_transit"), (26, "delivered"))


class ReturnsSandbox(ToySandbox):
    """The toy remote, plus return codes: ``POST /returns`` (409 for a reference it holds),
    ``GET /returns?reference=``, ``GET /returns/{code}``, ``POST /returns/{code}/cancel``."""

    def __init__(self, **kw: Any) -> None:
        self.returns: dict[str, dict] = {}
        super().__init__(**kw)

    def hand_in_return(self, code: str) -> None:
        self.returns[code]["handedInAt"] = self.clock.now().isoformat()

    def routes(self, app: FastAPI) -> None:
        super().routes(app)

        @app.post("/returns")
        async def book(body: dict):
            if any(r["reference"] == body["reference"] for r in self.returns.values()):
                return JSONResponse({"message": "return exists"}, status_code=409)
            code = f"RC{len(self.returns) + 1:06d}"
            self.returns[code] = {"code": code, "reference": body["reference"], "cancelled": False}
            return self.returns[code]

        @app.get("/returns")
        async def find(reference: str):
            found = [r for r in self.returns.values() if r["reference"] == reference]
            return found[0] if found else JSONResponse({"message": "none"}, status_code=404)

        @app.get("/returns/{code}")
        async def one(code: str):
            record = self.returns.get(code)
            if record is None:
                return JSONResponse({"message": "no such return"}, status_code=404)
            events = []
            if record.get("handedInAt"):
                start = datetime.fromisoformat(record["handedInAt"])
                events = [
                    {"at": (start + timedelta(hours=h)).isoformat(), "status": status}
                    for h, status in RETURN_JOURNEY
                    if start + timedelta(hours=h) <= self.clock.now()
                ]
            return {**record, "events": events}

        @app.post("/returns/{code}/cancel")
        async def cancel(code: str):
            if self.returns[code]["cancelled"]:
                return JSONResponse({"message": "already withdrawn"}, status_code=409)
            self.returns[code]["cancelled"] = True
            return self.returns[code]


class ReturnsToy(ToyHub):
    sandbox = "sdk_returns_toys:ReturnsSandbox"

    async def _find_return(self, reference: str):
        response = await self.client.request(
            "GET", "/returns", params={"reference": reference}, ok={200, 404}
        )
        return response if response.status_code == 200 else None

    def _reference(self, request: ReturnRequest) -> str:
        return request.reference

    async def book_return(self, request: ReturnRequest) -> ReturnBooking:
        reference = self._reference(request)
        try:
            response = await self.client.request(
                "POST",
                "/returns",
                json={"reference": reference},
                lookup_before_retry=lambda: self._find_return(reference),
            )
            existed = False
        except ConflictError:
            response, existed = await self._find_return(reference), True
        assert response is not None
        body = response.json()
        return ReturnBooking(
            code=body["code"], reference=request.reference, already_existed=existed
        )

    async def cancel_return(self, booking: ReturnBooking) -> RemoteRef:
        path = f"/returns/{booking.code}/cancel"
        response = await self.client.request("POST", path, ok={200, 409}, idempotent=True)
        return RemoteRef(remote_id=booking.code, already_done=response.status_code == 409)

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        out: dict[str, list[TrackingEvent]] = {}
        for booking in bookings:
            body = await self.client.json("GET", f"/returns/{booking.code}")
            out[booking.code] = [
                TrackingEvent(at=datetime.fromisoformat(e["at"]), status=e["status"])
                for e in body["events"]
            ]
        return out


class RebookingToy(ReturnsToy):
    """Sends a fresh reference with every booking: asked twice, the buyer gets two codes."""

    def _reference(self, request: ReturnRequest) -> str:
        return f"{request.reference}-{uuid.uuid4().hex[:6]}"


class EagerReturnsToy(ReturnsToy):
    """Reports a return as "created" before the buyer has handed anything in."""

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        out = await super().track_returns(bookings)
        now = self.context.clock()
        return {
            code: events or [TrackingEvent(at=now, status=TrackingStatus.CREATED)]
            for code, events in out.items()
        }


class RedoWithdrawToy(ReturnsToy):
    """Answers a second withdrawal as if it had withdrawn the code again."""

    async def cancel_return(self, booking: ReturnBooking) -> RemoteRef:
        await super().cancel_return(booking)
        return RemoteRef(remote_id=booking.code)


class StrandedReturnsToy(ReturnsToy):
    """Stops following a parcel once it is moving: the returns desk never sees it arrive."""

    async def track_returns(self, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
        out = await super().track_returns(bookings)
        return {code: events[:1] for code, events in out.items()}
