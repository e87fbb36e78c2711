"""The Nebim V3 Integrator client: Connect, session or token, and the reconnect.

Facts (``cemyeten/nebim-v3-integrator-docs``):

- Session mode (IIS session state InProc, ``docs/01-2-connect-session.md``): ``GET
  .../IntegratorService/Connect`` with ``{DatabaseName, UserGroupCode, UserName, Password}``
  answers ``{ModelType:0, Status, StatusCode:200, SessionID}``; later calls put
  ``/(S(<SessionID>))`` before ``/IntegratorService/...``.
- Token mode (session state off, ``docs/01-3-connect-token.md``): ``POST .../Connect`` answers
  ``{..., Token}``; later calls send a ``Token`` header and no ``(S())`` segment.
- Connect "succeeds" with wrong credentials, so ``check()`` asks ``GetUserInfo`` (GET in
  session mode, POST in token mode).
- Errors are ``{ModelType:0, ExceptionMessage, StackTrace}`` (``docs/99-errors.md``). An idle
  session ends and the next call fails with "Attempting to deserialize an empty stream." (Turkish
  "Boş akışın serisini kaldırma girişimi."): connect again. That request was never run (the
  session could not be read), so it is sent once more on the new session. Clients without a
  session are told "You must be login to use service methods" (unattributed clients, shared
  reference apis.md §9.1), handled the same way.

Which HTTP status carries an error body is not documented; this client reads the body
whatever the status. The ``StackTrace`` is never logged or raised (it may hold server paths).
"""

from __future__ import annotations

import json as jsonlib
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from kervan import ConnectorContext
from kervan.errors import AuthError, KervanError, RemoteRejectedError, RemoteUnavailableError
from kervan_sdk.http import ApiClient, RetryPolicy
from kervan_sdk.http.redaction import redact

from .settings import NebimSettings

SESSION_LOST_MARKERS = (
    "empty stream",
    "boş akışın serisini kaldırma",
    "must be login",
)
#: 500 is where the Integrator puts its exceptions (read, not retried blindly)
_RETRY = RetryPolicy(retry_statuses=frozenset({429, 502, 503, 504}))


class NebimSessionLost(RemoteUnavailableError):
    """The Integrator no longer knows our session or token: connect again."""

    code = "remote_unavailable"


def exception_message(body: Any) -> str | None:
    """The ``ExceptionMessage`` of a Nebim error body, or ``None`` for any other body."""
    if isinstance(body, dict) and body.get("ExceptionMessage"):
        return str(body["ExceptionMessage"])
    return None


def is_session_lost(message: str) -> bool:
    folded = message.casefold()
    return any(marker in folded for marker in SESSION_LOST_MARKERS)


class NebimClient(ApiClient):
    remote_name = "nebim"

    def __init__(self, settings: NebimSettings, context: ConnectorContext) -> None:
        password = settings.password.get_secret_value() if settings.password else None
        super().__init__(
            settings.base_url.rstrip("/"),
            context=context,
            retry=_RETRY,
            secrets=[password] if password else [],
        )
        self.settings = settings
        self._password = password
        self._session: str | None = None
        self.connects = 0

    # -- errors ---------------------------------------------------------------------------

    def map_error(self, response: httpx.Response) -> KervanError:
        try:
            message = exception_message(response.json())
        except ValueError:
            message = None
        if message is None:
            return super().map_error(response)
        return self.error_for(message, response.status_code)

    def error_for(self, message: str, status: int | None) -> KervanError:
        shown = redact(message, self.secrets)[:500]
        if is_session_lost(message):
            return NebimSessionLost(
                f"nebim: the session ended ({shown}); connecting again",
                remote=self.remote_name,
                status=status,
            )
        return RemoteRejectedError(
            f"nebim refused the request: {shown}",
            remote_message=shown,
            remote=self.remote_name,
            status=status,
        )

    # -- session --------------------------------------------------------------------------

    def _credentials(self) -> dict[str, Any] | None:
        s = self.settings
        if s.user_name is None:
            return None  # credentials in the service's web.config
        return {
            "ModelType": 1,
            "DatabaseName": s.database_name,
            "UserGroupCode": s.user_group_code,
            "UserName": s.user_name,
            "Password": self._password,
        }

    async def connect(self) -> None:
        """Open a session (or get a token). Wrong credentials are only found by GetUserInfo."""
        body = self._credentials()
        token_mode = self.settings.mode == "token"
        answer = await self._send_json(
            "POST" if token_mode else "GET", "/IntegratorService/Connect", body, idempotent=True
        )
        key = "Token" if token_mode else "SessionID"
        value = answer.get(key) if isinstance(answer, dict) else None
        if not value:
            raise AuthError(
                f"nebim: Connect answered without a {key}; check the service's session state "
                f"mode (this connection is set to {self.settings.mode} mode)",
                remote=self.remote_name,
            )
        self.add_secret(str(value))
        self._session = str(value)
        self.connects += 1

    def _path(self, command: str, namespace: str) -> str:
        if self.settings.mode == "session":
            return f"/(S({self._session}))/{namespace}/{command}"
        return f"/{namespace}/{command}"

    async def call(
        self,
        method: str,
        command: str,
        body: Any = None,
        *,
        namespace: str = "IntegratorService",
        idempotent: bool = False,
    ) -> Any:
        """One Integrator call on our session; a lost session is reconnected and the call sent
        once more (the Integrator had not run it)."""
        if self._session is None:
            await self.connect()
        try:
            return await self._send_json(
                method, self._path(command, namespace), body, idempotent=idempotent
            )
        except NebimSessionLost:
            if self.context is not None:
                self.context.logger.info("nebim: the session ended; connecting again")
            await self.connect()
            return await self._send_json(
                method, self._path(command, namespace), body, idempotent=idempotent
            )

    async def _send_json(self, method: str, path: str, body: Any, *, idempotent: bool) -> Any:
        headers = (
            {"Token": self._session} if self.settings.mode == "token" and self._session else {}
        )
        content = None if body is None else jsonlib.dumps(plain(body), ensure_ascii=False)
        if content is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        answer = await self.json(
            method, path, content=content, headers=headers, idempotent=idempotent
        )
        message = exception_message(answer)
        if message is not None:  # an error in a 200
            raise self.error_for(message, 200)
        return answer

    # -- commands -------------------------------------------------------------------------

    async def user_info(self) -> dict[str, Any]:
        method = "GET" if self.settings.mode == "session" else "POST"
        answer = await self.call(method, "GetUserInfo", idempotent=True)
        return answer if isinstance(answer, dict) else {}

    async def post_model(self, model: dict[str, Any]) -> dict[str, Any]:
        """``POST .../IntegratorService/Post``: the document; the answer echoes it, filled."""
        answer = await self.call("POST", "Post", model)
        return answer if isinstance(answer, dict) else {}

    async def run_query(
        self, name: str, criteria: str = "", skip: int = 0, take: int = 0
    ) -> list[dict[str, Any]]:
        body = {"ModelType": 32, "QueryName": name, "Criteria": criteria, "Skip": skip}
        answer = await self.call("POST", "RunQuery", body | {"Take": take}, idempotent=True)
        return rows_of(answer)

    async def run_proc(self, name: str, parameters: dict[str, str]) -> list[dict[str, Any]]:
        params = [{"Name": k, "Value": str(v)} for k, v in parameters.items()]
        body = {"ProcName": name, "Parameters": params}
        return rows_of(await self.call("POST", "RunProc", body, idempotent=True))

    async def return_invoice(self, model: dict[str, Any]) -> dict[str, Any]:
        answer = await self.call("POST", "ReturnInvoiceR", model, namespace="InvoiceService")
        return answer if isinstance(answer, dict) else {}


def plain(value: Any) -> Any:
    """JSON-ready: a ``Decimal`` becomes a JSON number (money is 2-4 decimals, well inside a
    double's 15 significant digits, and Python writes the shortest text that reads back the
    same), a date its ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def rows_of(answer: Any) -> list[dict[str, Any]]:
    """Query rows: a bare list, or a list under a ``Rows``/``Data``/``Table`` key. Nebim's
    docs show no RunQuery answer, so the shapes seen in clients are all accepted."""
    if isinstance(answer, dict):
        for key in ("Rows", "Data", "Table", "Result"):
            if isinstance(answer.get(key), list):
                answer = answer[key]
                break
    if not isinstance(answer, list):
        return []
    return [row for row in answer if isinstance(row, dict)]
