"""The Nilvera REST client: bearer auth, Nilvera's error body, one method per endpoint."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import httpx
from kervan import ConnectorContext
from kervan.errors import InvalidResponseError, KervanError
from kervan_sdk.http import ApiClient, RetryPolicy

from .mapping import (
    PURCHASE_PATH,
    REMOTE,
    document_path,
    issues_of,
    purchase_path,
    send_path,
    series_path,
)

LIVE_URL = "https://api.nilvera.com"
TEST_URL = "https://apitest.nilvera.com"
#: entries per page asked of ``GET /einvoice/Purchase`` (one client caps PageSize at 100)
PURCHASE_PAGE_SIZE = 100


class NilveraClient(ApiClient):
    """One tenant's Nilvera account (``Authorization: Bearer <API key>``)."""

    remote_name = REMOTE

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        context: ConnectorContext | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            context=context,
            timeout=httpx.Timeout(timeout, connect=5),
            retry=retry or RetryPolicy(),
            secrets=[api_key],
            transport=transport,
            default_headers={"Authorization": f"Bearer {api_key}"},
        )

    # -- errors ----------------------------------------------------------------------------

    def map_error(self, response: httpx.Response) -> KervanError:
        """The SDK's mapping, with Nilvera's ``Errors[]`` codes and texts in message and detail."""
        error = super().map_error(response)
        try:
            body = response.json()
        except ValueError:
            return error
        issues = issues_of(body)
        if not issues:
            return error
        said = "; ".join(str(i) for i in issues[:5])
        error.message = f"{self.remote_name} answered {response.status_code}: {said}"
        error.args = (error.message,)
        error.detail = {
            **error.detail,
            "nilvera_errors": [
                {"code": i.code, "description": i.description, "detail": i.detail} for i in issues
            ],
        }
        if hasattr(error, "remote_message"):
            error.remote_message = said
        return error

    # -- general ---------------------------------------------------------------------------

    async def company(self) -> dict[str, Any]:
        """``GET /general/Company``: the account's own company (also the cheapest auth test)."""
        body = await self.json("GET", "/general/Company")
        if not isinstance(body, dict):
            raise InvalidResponseError("Nilvera company info is not a JSON object", remote=REMOTE)
        return body

    async def check_tax_number(self, tax_id: str, user_type: str = "Invoice") -> Any:
        """``GET /general/GlobalCompany/Check/TaxNumber/{vkn_or_tckn}?globalUserType=...``."""
        return await self.json(
            "GET",
            f"/general/GlobalCompany/Check/TaxNumber/{quote(tax_id, safe='')}",
            params={"globalUserType": user_type},
            rate_key="GET /general/GlobalCompany/Check",
        )

    async def customer_info(self, tax_id: str, user_type: str = "Invoice") -> Any:
        """``GET /general/GlobalCompany/GetGlobalCustomerInfo/{tax_id}`` (title and aliases)."""
        return await self.json(
            "GET",
            f"/general/GlobalCompany/GetGlobalCustomerInfo/{quote(tax_id, safe='')}",
            params={"globalUserType": user_type},
            rate_key="GET /general/GlobalCompany/GetGlobalCustomerInfo",
        )

    # -- series ----------------------------------------------------------------------------

    async def series(self, channel: str) -> Any:
        return await self.json("GET", series_path(channel))

    async def create_series(self, channel: str, name: str) -> None:
        """Define a 3-character series (what Odoo does on error 3009), as neither active default."""
        await self.request(
            "POST",
            series_path(channel),
            json={"Name": name, "IsActive": True, "IsDefault": False},
            # creating the same series twice is harmless: Nilvera answers 409 "added before"
            idempotent=True,
            ok={200, 201, 204, 409},
        )

    # -- documents -------------------------------------------------------------------------

    async def send_xml(
        self,
        channel: str,
        uuid: str,
        xml: bytes,
        alias: str | None,
        lookup: Callable[[], Awaitable[httpx.Response | None]],
    ) -> httpx.Response:
        """``POST /<svc>/Send/Xml[?Alias=...]`` with the UBL as multipart field ``file``.

        A POST is not idempotent, so after an ambiguous failure (timeout after sending, 5xx)
        the client runs ``lookup`` (the UUID's status) before sending again; when that finds the
        document its answer is returned instead of a second send.
        """
        return await self.request(
            "POST",
            send_path(channel),
            params={"Alias": alias} if alias else None,
            files={"file": (f"{uuid}.xml", xml, "application/xml")},
            idempotent=False,
            lookup_before_retry=lookup,
        )

    async def status_response(self, channel: str, uuid: str) -> httpx.Response:
        """The status call with 404 allowed (``None``-able lookups use it)."""
        return await self.request(
            "GET",
            document_path(channel, uuid, "Status"),
            ok={200, 404},
            rate_key=f"GET /{channel}/Status",
        )

    async def status(self, channel: str, uuid: str) -> Any:
        return await self.json(
            "GET", document_path(channel, uuid, "Status"), rate_key=f"GET /{channel}/Status"
        )

    async def cancel(self, channel: str, uuid: str) -> None:
        await self.request(
            "PUT", document_path(channel, uuid, "Cancel"), rate_key=f"PUT /{channel}/Cancel"
        )

    async def download(self, channel: str, uuid: str, what: str) -> bytes:
        """The document as ``pdf``, ``html`` or ``xml``.

        Nilvera answers these as a JSON string (Odoo stores the PDF answer as base64
        ``datas``); a raw body (``application/pdf``, ``text/html``) is accepted too.
        """
        response = await self.request(
            "GET", document_path(channel, uuid, what), rate_key=f"GET /{channel}/{what}"
        )
        return _document_body(response, what)

    # -- received e-Fatura (Purchase) ------------------------------------------------------------

    async def purchases(
        self, page: int, *, start: str, end: str, page_size: int = PURCHASE_PAGE_SIZE
    ) -> Any:
        """``GET /einvoice/Purchase?StartDate=&EndDate=&Page=&PageSize=``: one page of the
        e-Fatura documents the account received (``{"Content": [...], "TotalPages", ...}``)."""
        return await self.json(
            "GET",
            PURCHASE_PATH,
            params={"StartDate": start, "EndDate": end, "Page": page, "PageSize": page_size},
            rate_key="GET /einvoice/Purchase",
        )

    async def purchase_xml(self, uuid: str) -> bytes:
        """``GET /einvoice/Purchase/{uuid}/xml``: a received e-Fatura's UBL."""
        response = await self.request(
            "GET", purchase_path(uuid, "xml"), rate_key="GET /einvoice/Purchase/xml"
        )
        return _document_body(response, "xml")


def _document_body(response: httpx.Response, what: str) -> bytes:
    """A document download: Nilvera answers a JSON string (base64 for a PDF), or raw bytes."""
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        return response.content
    try:
        body = response.json()
    except ValueError:
        raise InvalidResponseError(
            f"Nilvera {what} download is not valid JSON", remote=REMOTE
        ) from None
    if not isinstance(body, str):
        raise InvalidResponseError(f"Nilvera {what} download is not a JSON string", remote=REMOTE)
    if what == "pdf":
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidResponseError("Nilvera PDF is not valid base64", remote=REMOTE) from None
    return body.encode("utf-8")
