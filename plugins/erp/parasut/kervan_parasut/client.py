"""The Paraşüt v4 client: OAuth2 password grant with refresh, JSON:API bodies, paging, errors.

- Tokens come from ``POST {base}/oauth/token`` (form fields ``grant_type=password``,
  ``client_id``, ``client_secret``, ``username``, ``password``,
  ``redirect_uri=urn:ietf:wg:oauth:2.0:oob``); the answer carries ``access_token``,
  ``refresh_token`` and ``expires_in``. An expired token is renewed with
  ``grant_type=refresh_token``; a refused refresh falls back to the password grant.
  [yigitkonur/parasut-node-sdk-mcp ``packages/parasut-node-sdk/src/client/OAuth.ts``;
  ../shared/reference/apis-2.md §5.3]
- The API lives under ``{base}/v4/{company_id}/``; bodies are JSON:API
  (``application/vnd.api+json``) and errors come as ``{"errors": [{"title", "detail"}]}``.
  [same SDK, ``generated/types.ts`` ``ApiError`` and ``client/HttpTransport.ts``]
- About 10 requests per 10 seconds are allowed; the client paces itself under that with a
  ``TokenBucket`` and backs off on a 429. [same SDK ``client/RateLimiter.ts``; repo
  ``adilumer/parasut-api-client`` README, via apis-2.md §5.3] Whether the limit is per user,
  per company or per OAuth client is not published: one bucket per connection is assumed.
- Lists take ``page[number]`` (from 1) and ``page[size]`` and answer
  ``meta: {current_page, total_pages, total_count}``. [``generated/types.ts`` ``ListMeta``]
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from kervan import ConnectorContext
from kervan.errors import (
    AuthError,
    InvalidResponseError,
    KervanError,
    RemoteRejectedError,
)
from kervan_sdk.http import (
    ApiClient,
    BearerTokenAuth,
    Lookup,
    RateLimit,
    RetryPolicy,
    Token,
    redact,
)

JSONAPI = "application/vnd.api+json"
#: the documented pace (see the module docstring)
RATE_LIMIT = RateLimit(10, 10)
#: one bucket for every call of a connection: the limit is not documented per endpoint
RATE_KEY = "parasut"
PAGE_SIZE = 25
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"

#: 429 and gateway errors are retried; a 429's Retry-After wins when longer than the backoff
_RETRY = RetryPolicy(
    max_attempts=6,
    base_delay=1.0,
    max_delay=20.0,
    jitter=False,
    retry_statuses=frozenset({429, 502, 503, 504}),
)


def errors_of(response: httpx.Response) -> str | None:
    """``title: detail; ...`` from a JSON:API error body, or an OAuth error's description."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or None
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        parts = []
        for error in errors[:5]:
            if isinstance(error, dict):
                title, detail = error.get("title"), error.get("detail")
                parts.append(": ".join(str(p) for p in (title, detail) if p))
        return "; ".join(p for p in parts if p) or None
    described = body.get("error_description") or body.get("error")
    return str(described) if described else None


class _ParasutBase(ApiClient):
    remote_name = "parasut"

    def map_error(self, response: httpx.Response) -> KervanError:
        status = response.status_code
        message = errors_of(response)
        message = redact(message, self.secrets) if message else None
        said = f"parasut answered {status}" + (f": {message}" if message else "")
        if status in (400, 404, 422) and message:
            return RemoteRejectedError(
                said, remote_message=message, remote=self.remote_name, status=status
            )
        return super().map_error(response)


class _TokenClient(_ParasutBase):
    """Only for ``POST /oauth/token`` (no bearer on this one)."""

    def map_error(self, response: httpx.Response) -> KervanError:
        if response.status_code in (400, 401, 403):
            reason = errors_of(response) or "no reason given"
            return AuthError(
                "parasut refused the OAuth client or the user's e-mail and password "
                f"({response.status_code}: {redact(reason, self.secrets)})",
                remote=self.remote_name,
                status=response.status_code,
            )
        return super().map_error(response)


class ParasutClient(_ParasutBase):
    def __init__(
        self,
        base_url: str,
        company_id: int,
        *,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        context: ConnectorContext | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        secrets = [client_secret, password]
        self._client_id, self._client_secret = client_id, client_secret
        self._username, self._password = username, password
        self._refresh_token: str | None = None
        self._clock = context.clock if context else None
        self._tokens = _TokenClient(root + "/", context=context, secrets=secrets, retry=_RETRY)
        self.auth = BearerTokenAuth(self._fetch_token, clock=self._clock, leeway=60)
        headers = {"Accept": JSONAPI}
        super().__init__(
            f"{root}/v4/{company_id}/",
            context=context,
            auth=self.auth,
            secrets=secrets,
            retry=_RETRY,
            rate_limit=RATE_LIMIT,
            default_headers=headers,
        )
        #: ``/v4/me`` sits outside the company prefix
        self.root = root

    def __repr__(self) -> str:
        return f"<ParasutClient {self.root}>"

    async def aclose(self) -> None:
        await self._tokens.aclose()
        await super().aclose()

    # -- OAuth -----------------------------------------------------------------------------

    async def _fetch_token(self) -> Token:
        answer: Any = None
        if self._refresh_token:
            try:
                answer = await self._grant(
                    {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
                )
            except AuthError:
                answer = None  # a refresh token that expired or was used: log in again
        if answer is None:
            answer = await self._grant(
                {
                    "grant_type": "password",
                    "username": self._username,
                    "password": self._password,
                    "redirect_uri": OOB_REDIRECT,
                }
            )
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise InvalidResponseError(
                "parasut's token answer has no access_token", remote="parasut"
            )
        access = str(answer["access_token"])
        refresh = answer.get("refresh_token")
        self._refresh_token = str(refresh) if refresh else None
        for client in (self, self._tokens):
            client.add_secret(access)
            client.add_secret(self._refresh_token)
        seconds = answer.get("expires_in")
        if isinstance(seconds, int | float) and self._clock is not None:
            return Token.lasting(access, float(seconds), self._clock())
        return Token(access)

    async def _grant(self, fields: dict[str, str]) -> Any:
        form = {"client_id": self._client_id, "client_secret": self._client_secret, **fields}
        # asking for a token twice is harmless: safe to re-send after a lost answer
        return await self._tokens.json("POST", "oauth/token", data=form, idempotent=True)

    # -- JSON:API --------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        lookup: Lookup | None = None,
    ) -> dict[str, Any]:
        """One JSON:API call; the parsed document (``{}`` for an empty answer)."""
        kw: dict[str, Any] = {"params": params, "rate_key": RATE_KEY}
        if body is not None:
            kw["content"] = json.dumps(body, ensure_ascii=False).encode()
            kw["headers"] = {"Content-Type": JSONAPI}
        if lookup is not None:
            kw["lookup_before_retry"] = lookup
        response = await self.request(method, path, **kw)
        if not response.content:
            return {}
        try:
            document = response.json()
        except ValueError as exc:
            raise InvalidResponseError(
                f"parasut answered {method} {path} with something that is not JSON",
                remote="parasut",
                status=response.status_code,
            ) from exc
        if not isinstance(document, dict):
            raise InvalidResponseError(
                f"parasut answered {method} {path} with no JSON:API document", remote="parasut"
            )
        return document

    async def pages(
        self, path: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Every page of a list: ``(resource, included)`` pairs, page by page."""
        number = 1
        while True:
            query = {**(params or {}), "page[number]": number, "page[size]": PAGE_SIZE}
            document = await self.call("GET", path, params=query)
            data = document.get("data")
            if not isinstance(data, list):
                raise InvalidResponseError(
                    f"parasut's list {path} has no data array", remote="parasut"
                )
            included = document.get("included") or []
            for resource in data:
                yield resource, included
            meta = document.get("meta") or {}
            total_pages = meta.get("total_pages")
            if not data or not isinstance(total_pages, int) or number >= total_pages:
                return
            number += 1

    async def me(self) -> dict[str, Any]:
        """``GET /v4/me``: the user the token belongs to, with its companies included."""
        return await self.call("GET", f"{self.root}/v4/me")
