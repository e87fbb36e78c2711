"""Trendyol order webhooks: verify the caller, then map the package it pushed.

Contract for the engine (the lead's webhook endpoint): **verify, persist the raw body, then
process.** Call :func:`verify_webhook` first and answer 401 when it is false; store the raw
bytes (keyed by connection and a hash of the body) before anything else; answer 200; then, in a
job, call :func:`parse_webhook` on the stored bytes. If processing fails, the stored payload is
retried from the store, so nothing Trendyol pushed is lost. Trendyol retries a failed push every
5 minutes and then deactivates the webhook, so answer fast and do the work afterwards.
Webhooks complement polling, never replace it: the same package arrives through
``fetch_orders`` too, and ``Order.id`` is the same either way.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from typing import Any

from kervan import RecordProblem
from kervan.domain import Order
from kervan.errors import InvalidInputError

from .mapping import package_or_problem, package_to_order
from .settings import TrendyolSettings

#: the events Trendyol can push (its webhook model)
EVENTS = (
    "CREATED",
    "PICKING",
    "INVOICED",
    "SHIPPED",
    "CANCELLED",
    "DELIVERED",
    "UNDELIVERED",
    "RETURNED",
    "UNSUPPLIED",
    "AWAITING",
    "UNPACKED",
    "AT_COLLECTION_POINT",
    "VERIFIED",
)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify_webhook(headers: Mapping[str, str], settings: TrendyolSettings) -> bool:
    """Whether a webhook call carries the credentials configured for this connection.

    ``API_KEY``: header ``x-api-key``; ``BASIC_AUTHENTICATION``: ``Authorization: Basic``.
    With no webhook credentials configured, every call is refused (never trust by default).
    """
    mode = settings.webhook_auth or ("API_KEY" if settings.webhook_api_key else None)
    if mode == "API_KEY" and settings.webhook_api_key is not None:
        given = _header(headers, "x-api-key")
        return given is not None and _same(given, settings.webhook_api_key.get_secret_value())
    if mode == "BASIC_AUTHENTICATION" and settings.webhook_password and settings.webhook_username:
        given = _header(headers, "authorization") or ""
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "basic" or not token:
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = settings.webhook_password.get_secret_value()
        return _same(user, settings.webhook_username) & _same(password, expected)
    return False


def _items(body: bytes) -> list[Any]:
    """The items of a webhook body: one package, a list, or a page envelope. A body that is
    not JSON, or holds no package object at all, is not a payload (the whole call fails)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("the webhook body is not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("content"), list):
        data = data["content"]
    items = data if isinstance(data, list) else [data]
    if not any(isinstance(item, dict) for item in items):
        raise InvalidInputError("the webhook body holds no Trendyol package")
    return items


def packages_in(body: bytes) -> list[dict[str, Any]]:
    """The package objects in a webhook body; every item must be one."""
    items = _items(body)
    if not all(isinstance(item, dict) for item in items):
        raise InvalidInputError("the webhook body holds an item that is not a package")
    return items


def parse_webhook(body: bytes, *, tenant_id: str, connection_id: str) -> Order:
    """The :class:`Order` for the package a webhook pushed (same mapping as ``fetch_orders``).

    ``tenant_id`` and ``connection_id`` come from the URL the webhook was registered at; they
    make ``Order.id`` (``f"{connection_id}:{shipmentPackageId}"``) match the polled order.
    """
    packages = packages_in(body)
    if len(packages) != 1:
        raise InvalidInputError("expected one package; use parse_webhook_all for batches")
    return package_to_order(packages[0], tenant_id=tenant_id, connection_id=connection_id)


def parse_webhook_all(
    body: bytes, *, tenant_id: str, connection_id: str
) -> list[Order | RecordProblem]:
    """Every package a webhook pushed, each mapped on its own: one that cannot be mapped is a
    :class:`~kervan.RecordProblem` in its place, and the others still arrive."""
    return [
        package_or_problem(pkg, tenant_id=tenant_id, connection_id=connection_id)
        for pkg in _items(body)
    ]
