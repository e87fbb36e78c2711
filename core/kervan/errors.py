"""The error taxonomy every part of Kervan speaks.

Each error carries what a person needs to act on it, never a secret. Plugins raise these
(usually through ``kervan_sdk.http``), the engine decides from the class whether to retry,
hold or fail, and the API turns them into problem responses.
"""

from __future__ import annotations

from typing import Any


class KervanError(Exception):
    """Base of every error Kervan raises on purpose."""

    #: whether the engine may retry the step that raised it
    retryable: bool = False
    #: a short machine-readable code for API bodies and timelines
    code: str = "error"

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            **({"detail": self.detail} if self.detail else {}),
        }


class InternalError(KervanError):
    """A bug met while working (an exception Kervan did not raise on purpose): recorded on
    the order like any failure, so it is retried on the backoff and then waits for a person,
    instead of being retried on every sweep with nothing said."""

    code = "internal"


class InvalidInputError(KervanError):
    """Input from a caller or a file is wrong; fixing the input is the way forward."""

    code = "invalid_input"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, detail={"errors": errors} if errors else None)
        self.errors = errors or []


class RemoteError(KervanError):
    """Something went wrong talking to a remote system (marketplace, integrator, carrier...)."""

    code = "remote_error"

    def __init__(
        self,
        message: str,
        *,
        remote: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.remote = remote
        self.status = status
        self.request_id = request_id

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(
            {
                k: v
                for k, v in (
                    ("remote", self.remote),
                    ("status", self.status),
                    ("request_id", self.request_id),
                )
                if v is not None
            }
        )
        return data


class AuthError(RemoteError):
    """The remote refused our credentials: the connection's settings need a person."""

    code = "auth"


class RateLimitedError(RemoteError):
    """The remote asked us to slow down; retry after ``retry_after`` seconds."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RemoteUnavailableError(RemoteError):
    """The remote could not be reached or answered 5xx / timed out. Retry later."""

    code = "remote_unavailable"
    retryable = True


class RemoteRejectedError(RemoteError):
    """The remote understood the request and said no; ``remote_message`` says why."""

    code = "remote_rejected"

    def __init__(self, message: str, *, remote_message: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.remote_message = remote_message


class ConflictError(RemoteRejectedError):
    """The remote says the thing already exists / was already done (HTTP 409 and kin)."""

    code = "conflict"


class InvalidResponseError(RemoteError):
    """The remote answered with something we cannot parse or that breaks its own contract."""

    code = "invalid_response"
    retryable = True


class ResponseLimitError(InvalidResponseError):
    """The remote's answer broke a limit on what Kervan reads from a remote: a body over the
    connection's size cap, or JSON nested deeper than the depth limit. ``detail`` names the
    ``limit`` (``size`` or ``json_depth``) and its ``maximum``. The client stops reading at
    the limit and does not ask again at once (the remote would send the same); the engine
    retries the step on its backoff, and a person raises the connector's limit if the answer
    is genuinely that big."""

    code = "response_limit"


class DeadlineExceededError(RemoteUnavailableError):
    """One call to a remote (connect, send, every read, the retries and the waits between
    them) took longer than its wall-clock deadline: the remote is too slow, or drips its answer
    to hold us. It may have acted on the request; the engine retries later."""

    code = "deadline_exceeded"


class NotFoundError(KervanError):
    code = "not_found"


class StateConflictError(KervanError):
    """A person's action does not apply to the order in the state it is in (cancelling a
    delivered order, approving one that is not waiting for approval). The request was fine;
    the order is not where the action needs it. ``detail`` names the order, the action and
    the ``state`` it is in.

    Not a :class:`ConflictError`: that one says a *remote* answered "already done", and code
    catching it treats the remote work as finished; this one is Kervan's own refusal, made
    before anything is asked of anyone."""

    code = "state_conflict"

    def __init__(self, message: str, *, order_id: str, action: str, state: str) -> None:
        super().__init__(message, detail={"order_id": order_id, "action": action, "state": state})
        self.order_id, self.action, self.state = order_id, action, state


class CatalogConflictError(KervanError):
    """A catalog action does not fit the cards as they are (merging a card that was merged
    away, splitting onto a card that exists). ``detail`` names the card."""

    code = "catalog_conflict"

    def __init__(self, message: str, *, product_id: str) -> None:
        super().__init__(message, detail={"product_id": product_id})


class ClaimStateError(KervanError):
    """A returns-desk action does not fit the claim as it is (deciding a claim not received
    yet, changing the receipt of a decided one). ``detail`` names the claim, the action and
    the ``state`` it is in."""

    code = "claim_state"

    def __init__(self, message: str, *, claim_id: str, action: str, state: str) -> None:
        super().__init__(message, detail={"claim_id": claim_id, "action": action, "state": state})


class PermissionDeniedError(KervanError):
    code = "forbidden"


class HoldError(KervanError):
    """A step cannot proceed yet for a known reason (lookup outage, stock); retry later."""

    code = "hold"
    retryable = True


class UnsupportedOperationError(KervanError):
    """The connector does not offer this operation (its remote has no such API)."""

    code = "unsupported"
