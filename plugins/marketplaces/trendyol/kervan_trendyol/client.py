"""The Trendyol seller API over HTTP: auth, User-Agent, rate limits, paging, errors.

One method per endpoint the connector uses; each returns Trendyol's own JSON. The role logic
(what to call when, and how to read the answers) lives in ``orders.py``, ``claims.py`` and
``products.py``.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from kervan import ConnectorContext
from kervan.errors import (
    AuthError,
    ConflictError,
    InvalidResponseError,
    KervanError,
    RateLimitedError,
    RemoteRejectedError,
)
from kervan_sdk.http import ApiClient, BasicAuth, Lookup, RateLimit, RetryPolicy, redact

from .settings import TrendyolSettings

REMOTE = "trendyol"
#: the generic limit: 50 requests per 10 seconds to the same endpoint ("too.many.requests")
GENERIC_LIMIT = RateLimit(50, 10)
#: endpoints with a tighter documented per-minute limit, expressed so that no 10-second
#: window ever exceeds the generic limit either (100/min → 16 per 10 s = 96/min). The common
#: label's 100/min is one service ("common label", apis.md 1.1 [TY-EN "1. Service
#: Limitations"]) reached by a request (POST) and a fetch (GET) on one path: both spend one
#: bucket (:data:`COMMON_LABEL`), as the sandbox counts them, so a label's request and fetch
#: together stay under 100 a minute instead of earning 429s.
COMMON_LABEL = "common-label"
ENDPOINT_LIMITS: dict[str, RateLimit] = {
    "PUT claims/approve": RateLimit(5, 60),
    "POST claims/issue": RateLimit(5, 60),
    "POST package/split": RateLimit(16, 10),
    "PUT package/unsupplied": RateLimit(16, 10),
    COMMON_LABEL: RateLimit(16, 10),
}
#: Trendyol's 10,000-record paging window (``maxQueryWindowResult``)
MAX_QUERY_WINDOW = 10_000
MAX_PAGE_SIZE = 200
MALFORMED_RETRIES = 3


class TrendyolClient(ApiClient):
    """HTTP client for one Trendyol store (one connection)."""

    remote_name = REMOTE

    def __init__(
        self,
        settings: TrendyolSettings,
        context: ConnectorContext | None = None,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"storeFrontCode": settings.store_front_code} if settings.store_front_code else {}
        super().__init__(
            settings.base_url.rstrip("/"),
            context=context,
            auth=BasicAuth(
                settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()
            ),
            user_agent=settings.user_agent,
            # Trendyol's 429 carries no Retry-After and its window is 10 s: back off long
            # enough (1, 2, 4, 8, 16 s bounds, full jitter) to get past one window
            retry=retry or RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=30.0),
            rate_limit=GENERIC_LIMIT,
            rate_limits=ENDPOINT_LIMITS,
            secrets=settings.secret_values().values(),
            transport=transport,
            default_headers=headers,
        )
        self.seller_id = settings.seller_id
        #: set when Trendyol answers 426 on the old orders path (announced /v2/orders move)
        self.orders_path_version = "v1"

    # -- errors ----------------------------------------------------------------------------

    def map_error(self, response: httpx.Response) -> KervanError:
        """Trendyol's error bodies onto the taxonomy, keeping Trendyol's own key and message.

        Shapes seen: ``{"errors":[{"key","message","errorCode"}]}`` (most services),
        ``{"exception":"ClientApiAuthenticationException","message":...}`` (401),
        ``{"errors":["..."]}`` and plain text (``too.many.requests``).
        """
        base = super().map_error(response)
        keys, message = error_details(response)
        if message:
            message = redact(message, self.secrets)
        common = {
            "remote": REMOTE,
            "status": response.status_code,
            "request_id": getattr(base, "request_id", None),
        }
        detail = {"keys": keys} if keys else None
        status = response.status_code
        if status == 401:
            return AuthError(
                "Trendyol refused the API key/secret (401); check the credentials and seller id",
                detail=detail,
                **common,
            )
        if status == 403:
            return AuthError(
                "Trendyol refused the request (403): missing User-Agent or no access to this "
                "seller id",
                detail=detail,
                **common,
            )
        if status == 409:
            return ConflictError(
                f"Trendyol says it is already done: {message or status}",
                remote_message=message,
                detail=detail,
                **common,
            )
        if status == 429 and isinstance(base, RateLimitedError) and base.retry_after is None:
            base.retry_after = float(GENERIC_LIMIT.per_seconds)  # the window Trendyol counts
            return base
        if 400 <= status < 500 and status != 429:
            return RemoteRejectedError(
                f"Trendyol rejected the request ({status}): {message or 'no reason given'}",
                remote_message=message,
                detail=detail,
                **common,
            )
        return base

    # -- plumbing --------------------------------------------------------------------------

    async def get_json(self, path: str, *, rate_key: str, **kw: Any) -> Any:
        """GET and parse; a truncated/garbled body is fetched again (reads are safe to repeat)."""
        for attempt in range(1, MALFORMED_RETRIES + 1):
            try:
                return await self.json("GET", path, rate_key=rate_key, **kw)
            except InvalidResponseError:
                if attempt == MALFORMED_RETRIES:
                    raise
                await self._sleep(self.retry.backoff(attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def _order_root(self) -> str:
        return f"/integration/order/sellers/{self.seller_id}"

    def _package(self, package_id: str) -> str:
        return f"{self._order_root}/shipment-packages/{package_id}"

    # -- orders ----------------------------------------------------------------------------

    async def get_packages(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """One page of getShipmentPackages (``{page,size,totalPages,totalElements,content}``)."""
        path = (
            f"{self._order_root}/orders"
            if self.orders_path_version == "v1"
            else f"{self._order_root}/v2/orders"
        )
        try:
            body = await self.get_json(path, params=dict(params), rate_key="GET orders")
        except RemoteRejectedError as exc:
            if exc.status != 426 or self.orders_path_version != "v1":
                raise
            # Trendyol announced /v2/orders as mandatory (426 Upgrade Required on the old path)
            self.orders_path_version = "v2"
            return await self.get_packages(params)
        if not isinstance(body, dict) or not isinstance(body.get("content"), list):
            raise InvalidResponseError(
                "Trendyol getShipmentPackages answered without a content list", remote=REMOTE
            )
        return body

    async def get_package(self, package_id: str) -> dict[str, Any] | None:
        body = await self.get_packages({"shipmentPackageIds": package_id, "size": 1})
        for pkg in body["content"]:
            if str(pkg.get("shipmentPackageId", pkg.get("id"))) == str(package_id):
                return pkg
        return None

    async def update_package(
        self,
        package_id: str,
        lines: list[dict[str, Any]],
        status: str,
        params: Mapping[str, str] | None = None,
    ) -> None:
        body = {"lines": lines, "params": dict(params or {}), "status": status}
        await self.request("PUT", self._package(package_id), json=body, rate_key="PUT package")

    async def unsupply(self, package_id: str, lines: list[dict[str, Any]], reason_id: int) -> None:
        await self.request(
            "PUT",
            f"{self._package(package_id)}/items/unsupplied",
            json={"lines": lines, "reasonId": reason_id},
            rate_key="PUT package/unsupplied",
            idempotent=False,
        )

    async def multi_split(self, package_id: str, groups: list[list[int]]) -> list[str]:
        """``multiSplitShipmentPackage`` (asynchronous): the ids the new packages will have,
        from ``{results:[{newPackageId}]}``; they appear in getShipmentPackages later."""
        body = await self.json(
            "POST",
            f"{self._package(package_id)}/multi-split",
            json={"splitGroups": [{"orderLineIds": group} for group in groups]},
            rate_key="POST package/split",
        )
        results = body.get("results") if isinstance(body, dict) else None
        return [
            str(item["newPackageId"])
            for item in results or []
            if isinstance(item, dict) and item.get("newPackageId") is not None
        ]

    async def split_packages(self, package_id: str, parcels: list[dict[int, int]]) -> None:
        """``splitMultiPackageByQuantity``: each parcel lists line ids with a quantity.
        Asynchronous, answered without a body: the new packages appear in getShipmentPackages
        later and the original turns UnPacked."""
        await self.request(
            "POST",
            f"{self._package(package_id)}/split-packages",
            json={
                "splitPackages": [
                    {
                        "packageDetails": [
                            {"orderLineId": line_id, "quantities": quantity}
                            for line_id, quantity in parcel.items()
                        ]
                    }
                    for parcel in parcels
                ]
            },
            rate_key="POST package/split",
        )

    async def alternative_delivery(
        self,
        package_id: str,
        tracking_info: str,
        *,
        is_phone_number: bool = False,
        box_quantity: int | None = None,
        deci: float | None = None,
    ) -> None:
        """``processAlternativeDelivery``: the seller's own carrier took the package; Trendyol
        marks it Shipped. ``tracking_info`` is the carrier's tracking link (or a phone number
        with ``is_phone_number``). It replaces ``update-tracking-number``, which the current
        reference no longer has."""
        body: dict[str, Any] = {
            "isPhoneNumber": is_phone_number,
            "trackingInfo": tracking_info,
            "params": {},
        }
        if box_quantity is not None:
            body["boxQuantity"] = box_quantity
        if deci is not None:
            body["deci"] = deci
        await self.request(
            "PUT",
            f"{self._package(package_id)}/alternative-delivery",
            json=body,
            rate_key="PUT package/alternative-delivery",
        )

    # -- invoices --------------------------------------------------------------------------

    async def send_invoice_link(
        self, body: Mapping[str, Any], lookup: Lookup | None = None
    ) -> httpx.Response:
        return await self.request(
            "POST",
            f"/integration/sellers/{self.seller_id}/seller-invoice-links",
            json=dict(body),
            rate_key="POST invoice-link",
            lookup_before_retry=lookup,
        )

    async def upload_invoice_file(
        self,
        package_id: str,
        pdf: bytes,
        *,
        invoice_number: str | None = None,
        invoice_date_ms: int | None = None,
        lookup: Lookup | None = None,
    ) -> httpx.Response:
        data = {"shipmentPackageId": str(package_id)}
        if invoice_number:
            data["invoiceNumber"] = invoice_number
        if invoice_date_ms:
            data["invoiceDateTime"] = str(invoice_date_ms)
        return await self.request(
            "POST",
            f"/integration/sellers/{self.seller_id}/seller-invoice-file",
            data=data,
            files={"file": (f"{package_id}.pdf", pdf, "application/pdf")},
            rate_key="POST invoice-file",
            lookup_before_retry=lookup,
        )

    # -- common label ----------------------------------------------------------------------

    async def create_common_label(self, tracking_number: str, box_quantity: int = 1) -> None:
        await self.request(
            "POST",
            f"/integration/sellers/{self.seller_id}/common-label/{tracking_number}",
            json={"format": "ZPL", "boxQuantity": box_quantity},
            rate_key=COMMON_LABEL,
            # creating the same label twice is harmless: Trendyol keeps one per parcel
            idempotent=True,
        )

    async def get_common_label(self, tracking_number: str) -> list[dict[str, Any]]:
        body = await self.get_json(
            f"/integration/sellers/{self.seller_id}/common-label/{tracking_number}",
            rate_key=COMMON_LABEL,
        )
        return list((body or {}).get("data") or [])

    # -- finance ---------------------------------------------------------------------------

    async def get_settlements(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """One page of the finance API's settlements (``finance.py`` has the rules)."""
        body = await self.get_json(
            f"/integration/finance/che/sellers/{self.seller_id}/settlements",
            params=dict(params),
            rate_key="GET settlements",
        )
        if not isinstance(body, dict) or not isinstance(body.get("content"), list):
            raise InvalidResponseError(
                "Trendyol settlements answered without content", remote=REMOTE
            )
        return body

    # -- claims ----------------------------------------------------------------------------

    async def get_claims(self, params: Mapping[str, Any]) -> dict[str, Any]:
        body = await self.get_json(
            f"{self._order_root}/claims", params=dict(params), rate_key="GET claims"
        )
        if not isinstance(body, dict) or not isinstance(body.get("content"), list):
            raise InvalidResponseError("Trendyol getClaims answered without content", remote=REMOTE)
        return body

    async def approve_claim_items(self, claim_id: str, item_ids: Iterable[str]) -> None:
        await self.request(
            "PUT",
            f"{self._order_root}/claims/{claim_id}/items/approve",
            json={"claimLineItemIdList": list(item_ids), "params": {}},
            rate_key="PUT claims/approve",
        )

    async def create_claim_issue(
        self,
        claim_id: str,
        *,
        reason_id: int,
        item_ids: Iterable[str],
        description: str,
        files: Iterable[tuple[str, bytes, str]] = (),
    ) -> None:
        """createClaimIssue: always ``multipart/form-data`` as the reference defines it, the
        three fields as parts without a filename and each ``(name, bytes, content type)`` as
        one part of the binary array ``files``. Not retried after an ambiguous failure (the
        caller reads the items' statuses instead)."""
        parts: list[tuple[str, tuple[str | None, Any, str | None]]] = [
            ("claimIssueReasonId", (None, str(reason_id), None)),
            ("claimItemIdList", (None, ",".join(item_ids), None)),
            ("description", (None, description, None)),
        ]
        parts += [("files", (name, data, content_type)) for name, data, content_type in files]
        await self.request(
            "POST",
            f"{self._order_root}/claims/{claim_id}/issue",
            files=parts,
            rate_key="POST claims/issue",
        )

    async def create_claim(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.json(
            "POST", f"{self._order_root}/claims/create", json=dict(body), rate_key="POST claims"
        )

    async def claim_item_audit(self, claim_item_id: str) -> list[dict[str, Any]]:
        return list(
            await self.get_json(
                f"{self._order_root}/claims/items/{claim_item_id}/audit", rate_key="GET audit"
            )
            or []
        )

    async def claim_issue_reasons(self) -> list[dict[str, Any]]:
        return list(
            await self.get_json("/integration/order/claim-issue-reasons", rate_key="GET reasons")
            or []
        )

    # -- products --------------------------------------------------------------------------

    async def approved_products(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self.get_json(
            f"/integration/product/sellers/{self.seller_id}/products/approved",
            params=dict(params),
            rate_key="GET products",
        )

    async def price_and_inventory(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        # An identical request within 15 minutes is refused by Trendyol, so sending again
        # after an ambiguous failure can never apply an update twice.
        return await self.json(
            "POST",
            f"/integration/inventory/sellers/{self.seller_id}/products/price-and-inventory",
            json={"items": items},
            rate_key="POST price-and-inventory",
            idempotent=True,
        )

    async def batch_result(self, batch_request_id: str) -> dict[str, Any]:
        return await self.get_json(
            f"/integration/product/sellers/{self.seller_id}/products/batch-requests/"
            f"{batch_request_id}",
            rate_key="GET batch-requests",
        )


def error_details(response: httpx.Response) -> tuple[list[str], str | None]:
    """Trendyol error ``key``s and a readable message from any of its error body shapes."""
    try:
        text = response.text.strip()
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return [], None
    if not text:
        return [], None
    try:
        body = jsonlib.loads(text)
    except ValueError:
        return [], text[:300]
    if isinstance(body, dict) and isinstance(body.get("body"), dict):
        body = body["body"]  # some gateways nest the error
    keys: list[str] = []
    messages: list[str] = []
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            for error in errors[:10]:
                if isinstance(error, dict):
                    if error.get("key"):
                        keys.append(str(error["key"]))
                    if error.get("message"):
                        messages.append(str(error["message"]))
                elif isinstance(error, str):
                    messages.append(error)
        for name in ("exception", "error"):
            if isinstance(body.get(name), str):
                keys.append(body[name])
        if isinstance(body.get("message"), str):
            messages.append(body["message"])
    elif isinstance(body, str):
        messages.append(body)
    message = "; ".join(dict.fromkeys(messages)) or (keys[0] if keys else None)
    return keys, (message[:300] if message else None)
