"""Webhooks from remotes (e.g. Trendyol's package events).

No API key here: the connection's connector verifies the call with the credentials the seller
registered at the remote. The raw payload is stored before anything else, so a processing
failure loses nothing (the reconciler processes it again).

Until the call is verified, the caller is nobody: an unknown tenant, an unknown connection, one
that cannot take webhooks (not an order source, disabled, misconfigured) and wrong credentials
all get the same 403, word for word, so the route tells nobody which connections exist. Only a
retryable failure of our own (the store is unavailable: 503) is said as such, to everyone alike.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ..errors import KervanError, PermissionDeniedError
from .openapi import error_response
from .schemas import WebhookOut

router = APIRouter()
log = logging.getLogger("kervan.api.webhooks")
_REFUSED = "webhook credentials do not match this connection"


@router.post(
    "/webhooks/{tenant_id}/{connection_id}",
    status_code=202,
    openapi_extra={"x-roles": [], "x-auth": "connector"},
    response_model=WebhookOut,
    responses={
        400: error_response(
            "A body sent as JSON that nests deeper than the server takes (code bad_request)"
        ),
        403: error_response(
            "The connector did not accept the call's credentials, or there is no such "
            "connection (the same answer: a caller learns nothing of which exist)"
        ),
        503: error_response("The store is unavailable: try again (the same for every caller)"),
    },
)
async def receive_webhook(request: Request, tenant_id: str, connection_id: str) -> dict[str, Any]:
    """Receive a remote's webhook: verify it, persist the raw body, then process it."""
    rt = request.app.state.runtime
    body = await request.body()
    try:
        key = await run_in_threadpool(
            rt.engine.receive_webhook, tenant_id, connection_id, dict(request.headers), body
        )
    except KervanError as exc:
        if exc.retryable:
            raise
        log.info("webhook refused for %r/%r: %s", tenant_id, connection_id, exc.message)
        raise PermissionDeniedError(_REFUSED) from exc
    except Exception as exc:  # a bug, on a connection that exists: logged, and still 403
        log.error("webhook check failed for %r/%r", tenant_id, connection_id, exc_info=exc)
        raise PermissionDeniedError(_REFUSED) from exc
    try:
        result = await run_in_threadpool(rt.engine.process_webhook, tenant_id, key, connection_id)
    except KervanError as exc:  # stored; the reconciler tries again
        log.warning("webhook %s kept for retry: %s", key, exc.message)
        return {"received": key, "processed": False}
    if rt.jobs is not None:
        for oid in result.new + result.updated:
            rt.jobs.enqueue_order(tenant_id, oid)
    return {"received": key, "processed": True, "orders": len(result.new) + len(result.updated)}
