"""Registry answers kept per tenant, so a repeat buyer does not cost an integrator call.

Only an answer that made an order an e-Fatura (registered, exactly one PK alias) is kept, for
``TenantSettings.registration_cache_hours``. A "not registered" answer is never reused: a
buyer who registered since would otherwise get an e-Arşiv invoice, which the law forbids.
A kept answer that turns out wrong (the buyer left the system, or changed its alias) shows as
a rejected e-Fatura; :func:`forget` then drops it, so the next order asks again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..domain import DocumentKind
from ..roles import Registration
from ..store.port import declare_kind
from .context import StepContext

REGISTRATION = "registration"
declare_kind(REGISTRATION, ())


def cached(ctx: StepContext, tax_id: str) -> Registration | None:
    """A positive answer for ``tax_id`` younger than the tenant's limit, else ``None``."""
    hours = ctx.tenant.settings.registration_cache_hours
    if not hours:
        return None
    doc = ctx.store.get(REGISTRATION, tax_id)
    if doc is None:
        return None
    reg = Registration.model_validate(doc.body["registration"])
    if not reg.registered or reg.checked_at < ctx.clock() - timedelta(hours=hours):
        return None
    return reg


def keep(
    ctx: StepContext, reg: Registration, kind: DocumentKind | None
) -> tuple[str, str, dict[str, Any]] | None:
    """The document to store with the order's save when ``reg`` is worth keeping: it made
    the order an e-Fatura and the tenant keeps answers at all."""
    if kind is not DocumentKind.EFATURA or not ctx.tenant.settings.registration_cache_hours:
        return None
    return REGISTRATION, reg.tax_id, {"registration": reg.model_dump(mode="json")}


def forget(tax_id: str) -> tuple[str, str]:
    """The removal of a kept answer (an e-Fatura to this buyer was rejected), for a change's
    ``removes``; a no-op when none is kept."""
    return REGISTRATION, tax_id
