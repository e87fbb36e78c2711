"""The MNG Kargo / DHL eCommerce REST client (IBM API Connect in front).

Every call carries ``X-IBM-Client-Id`` / ``X-IBM-Client-Secret`` (the integrating app); the
API calls also carry ``Authorization: Bearer {jwt}``, where the jwt comes from
``POST {base}/token`` with the seller's customer number and password. Answers are often
one-element arrays; business errors come as ``{"error": {"Code", "Description"}}``, with HTTP
500 as often as 4xx, so 500 is read here rather than retried blindly.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from kervan import ConnectorContext
from kervan.errors import (
    AuthError,
    ConflictError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
    RemoteUnavailableError,
)
from kervan_sdk.http import ApiClient, BearerTokenAuth, RateLimit, RetryPolicy, Token

LIVE_BASE = "https://api.mngkargo.com.tr/mngapi/api"
TEST_BASE = "https://testapi.mngkargo.com.tr/mngapi/api"
TR_TIME = timezone(timedelta(hours=3), "TRT")

#: createOrder: an order with this referenceId is already registered
ERR_ORDER_EXISTS = "3002"
#: createbarcode: the destination branch is not resolved yet (try again shortly); MNG answers
#: either code, and real integrations retry both (../shared/reference/apis.md, MNG correction)
ERR_NO_DESTINATION = "20001"
ERR_DESTINATION_UNRESOLVED = "20011"
DESTINATION_CODES = frozenset({ERR_NO_DESTINATION, ERR_DESTINATION_UNRESOLVED})
TRANSIENT_CODES = DESTINATION_CODES
#: retries of a "destination not resolved yet" answer, waiting 5 min × attempt before each
DESTINATION_RETRIES = 5
DESTINATION_RETRY_STEP = 300.0

#: 429 comes from API Connect's plan limit (no ``Retry-After``; a ``Retry-After`` that does
#: come is honoured by the SDK when longer): back off 2, 4, 8, 16, 32 s, a minute in all, so a
#: per-minute window has passed before the last try; then a retryable ``RateLimitedError``. No
#: jitter: a jittered sum can end well inside the window. The gateway refused the call, so
#: POSTs are re-sent too.
_RETRY = RetryPolicy(
    max_attempts=6,
    base_delay=2.0,
    max_delay=60.0,
    jitter=False,
    retry_statuses=frozenset({429, 502, 503, 504}),
)


def parse_date(value: Any) -> datetime | None:
    """MNG dates: ``10.03.2020 16:05:00`` or ``13-02-2019 12:03`` (Turkish time) → aware UTC."""
    m = re.fullmatch(
        r"(\d{2})[.-](\d{2})[.-](\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?", str(value or "").strip()
    )
    if not m:
        return None
    day, month, year, hour, minute, second = m.groups()
    local = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=TR_TIME
    )
    return local.astimezone(UTC)


def one(body: Any) -> dict[str, Any] | None:
    """MNG wraps single answers in arrays: the first object, or the object itself."""
    if isinstance(body, list):
        body = body[0] if body else None
    return body if isinstance(body, dict) else None


def error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """``(code, description)`` from MNG's error body, or IBM API Connect's."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.text.strip()[:200] or None)
    if isinstance(body, list):
        body = body[0] if body else {}
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("Code") or error.get("code")
        message = (
            error.get("Description")
            or error.get("description")
            or error.get("Message")
            or error.get("message")
        )
        return (str(code) if code is not None else None), message
    return None, body.get("moreInformation") or body.get("httpMessage") or body.get("message")


def product_key(path: str) -> str:
    """The API product a path belongs to (``standardcmdapi``, ``token`` …): API Connect's plan
    limits count per product, so the client's rate buckets do too."""
    return path.lstrip("/").split("?", 1)[0].split("/", 1)[0].lower()


class _MngBase(ApiClient):
    remote_name = "mng"

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        kw["rate_key"] = product_key(path)
        return await super().request(method, path, **kw)

    def map_error(self, response: httpx.Response) -> KervanError:
        code, message = error_of(response)
        status = response.status_code
        common: dict[str, Any] = {"remote": self.remote_name, "status": status}
        said = (
            f"mng answered {status}"
            + (f" [{code}]" if code else "")
            + (f": {message}" if message else "")
        )
        detail = {"code": code} if code else None
        if status in (401, 403):
            return AuthError(
                f"mng refused the credentials ({status}): {message or ''}".rstrip(": "), **common
            )
        if code in TRANSIENT_CODES:
            return RemoteUnavailableError(said, detail=detail, **common)
        if code == ERR_ORDER_EXISTS:
            return ConflictError(said, remote_message=message, detail=detail, **common)
        if code is not None and status < 600:
            return RemoteRejectedError(said, remote_message=message, detail=detail, **common)
        return super().map_error(response)


class _TokenClient(_MngBase):
    """Only for ``POST /token`` (no bearer on this one)."""

    def map_error(self, response: httpx.Response) -> KervanError:
        error = super().map_error(response)
        if response.status_code < 500 or error_of(response)[0] is not None:
            return AuthError(
                f"mng refused the customer number or password: {error.message}",
                remote="mng",
                status=response.status_code,
            )
        return error


class MngClient(_MngBase):
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        customer_number: str,
        password: str,
        context: ConnectorContext | None = None,
        plan_limit: RateLimit | None = None,
        **kw: Any,
    ) -> None:
        ibm = {"X-IBM-Client-Id": client_id, "X-IBM-Client-Secret": client_secret}
        secrets = [client_secret, password]
        base = base_url.rstrip("/") + "/"
        self._login = {"customerNumber": customer_number, "password": password, "identityType": 1}
        self._tokens = _TokenClient(
            base,
            context=context,
            secrets=secrets,
            default_headers=ibm,
            retry=_RETRY,
            rate_limit=plan_limit,
        )
        self.auth = BearerTokenAuth(
            self._fetch_token, clock=context.clock if context else None, leeway=300
        )
        super().__init__(
            base,
            context=context,
            auth=self.auth,
            secrets=secrets,
            default_headers=ibm,
            retry=kw.pop("retry", _RETRY),
            rate_limit=plan_limit,
            **kw,
        )

    async def _fetch_token(self) -> Token:
        body = one(await self._tokens.json("POST", "token", json=self._login, idempotent=True))
        if not body or not body.get("jwt"):
            raise InvalidResponseError("mng token answer has no jwt", remote="mng")
        jwt = str(body["jwt"])
        self.add_secret(jwt)
        self._tokens.add_secret(jwt)
        return Token(jwt, parse_date(body.get("jwtExpireDate")))

    async def aclose(self) -> None:
        await self._tokens.aclose()
        await super().aclose()

    # -- CBS info (city and district codes) ------------------------------------------------

    async def cities(self) -> list[dict[str, Any]]:
        return list(await self.json("GET", "cbsinfoapi/getcities") or [])

    async def districts(self, city_code: str) -> list[dict[str, Any]]:
        return list(await self.json("GET", f"cbsinfoapi/getdistricts/{quote(city_code)}") or [])

    # -- standard command / barcode command ------------------------------------------------

    async def create_order(self, body: dict[str, Any]) -> Any:
        """``createOrder``; after a lost answer, ``getorder`` decides whether to send again."""
        ref = body["order"]["referenceId"]
        return await self.json(
            "POST",
            "standardcmdapi/createOrder",
            json=body,
            idempotent=False,
            lookup_before_retry=lambda: self._found(f"standardqueryapi/getorder/{quote(ref)}"),
        )

    async def create_barcode(self, body: dict[str, Any]) -> Any:
        """``createbarcode``: turns the order into a shipment, answers with piece barcodes and
        ZPL. After a lost answer, ``getshipment`` is asked first: its (different) answer comes
        back instead when the shipment exists."""
        ref = body["referenceId"]
        return await self.json(
            "POST",
            "barcodecmdapi/createbarcode",
            json=body,
            idempotent=False,
            lookup_before_retry=lambda: self._found(f"standardqueryapi/getshipment/{quote(ref)}"),
        )

    async def cancel_shipment(self, reference_id: str, shipment_id: str) -> Any:
        return await self.json(
            "PUT",
            "barcodecmdapi/cancelshipment",
            json={"referenceId": reference_id, "shipmentId": shipment_id},
        )

    async def cancel_order(self, reference_id: str) -> Any:
        return await self.json("PUT", f"standardcmdapi/cancelorder/{quote(reference_id)}")

    async def create_return_order(self, body: dict[str, Any]) -> Any:
        """``createReturnOrder``: the buyer (``shipper``) hands the parcel in at a branch with
        the answer's ``returnOrderLabelURL``; after a lost answer ``getorder`` decides."""
        ref = body["order"]["referenceId"]
        return await self.json(
            "POST",
            "standardcmdapi/createReturnOrder",
            json=body,
            idempotent=False,
            lookup_before_retry=lambda: self._found(f"standardqueryapi/getorder/{quote(ref)}"),
        )

    async def update_order(self, body: dict[str, Any]) -> Any:
        """``updateorder``: pieces, COD and waybill of an order that is not a shipment yet."""
        return await self.json("PUT", "standardcmdapi/updateorder", json=body)

    async def update_shipment(self, body: dict[str, Any]) -> Any:
        """``updateshipment``: the same for a shipment the branch has not accepted yet."""
        return await self.json("PUT", "barcodecmdapi/updateshipment", json=body)

    # -- queries (404 = nothing there) -----------------------------------------------------

    async def _found(self, path: str) -> httpx.Response | None:
        response = await self.request("GET", path, ok={200, 404})
        if response.status_code == 404 or not response.content.strip():
            return None
        return response if one(response.json()) else None

    async def _query(self, path: str) -> Any:
        response = await self.request("GET", path, ok={200, 404})
        if response.status_code == 404 or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise InvalidResponseError(
                f"mng answered {path} with a body that is not JSON", remote="mng"
            ) from None

    async def get_order(self, reference_id: str) -> dict[str, Any] | None:
        return one(await self._query(f"standardqueryapi/getorder/{quote(reference_id)}"))

    async def get_shipment(self, reference_id: str) -> dict[str, Any] | None:
        return one(await self._query(f"standardqueryapi/getshipment/{quote(reference_id)}"))

    async def shipment_status(self, reference_id: str) -> dict[str, Any] | None:
        return one(await self._query(f"standardqueryapi/getshipmentstatus/{quote(reference_id)}"))

    async def track_shipment(self, reference_id: str) -> list[dict[str, Any]]:
        body = await self._query(f"standardqueryapi/trackshipment/{quote(reference_id)}")
        return [e for e in (body or []) if isinstance(e, dict)]

    async def calculate(self, body: dict[str, Any]) -> dict[str, Any] | None:
        return one(
            await self.json("POST", "standardqueryapi/calculate", json=body, idempotent=True)
        )

    async def shipments_by_date(self, day: date) -> list[dict[str, Any]]:
        """``bulkqueryapi/getShipmentByDate/{yyyyMMdd}``: the shipments created that day."""
        body = await self._query(f"bulkqueryapi/getShipmentByDate/{day:%Y%m%d}")
        return [row for row in (body or []) if isinstance(row, dict)]

    async def delivered_shipments(self, day: date) -> list[dict[str, Any]]:
        """``bulkqueryapi/getDeliveredShipment/{dd-MM-yyyy}``: the shipments delivered that day."""
        body = await self._query(f"bulkqueryapi/getDeliveredShipment/{day:%d-%m-%Y}")
        return [row for row in (body or []) if isinstance(row, dict)]

    async def status_changed(self, since: datetime) -> list[dict[str, Any]]:
        """``bulkqueryapi/getStatusChangedShipments``: shipments whose status changed since."""
        local = since.astimezone(TR_TIME)
        body = await self._query(
            f"bulkqueryapi/getStatusChangedShipments/{local:%Y%m%d}/{local:%Y%m%d%H%M%S}"
        )
        return [row for row in (body or []) if isinstance(row, dict)]
