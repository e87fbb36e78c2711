"""Which connections receive a tenant's ERP postings: every enabled connection whose
connector plays the ``erp_sink`` role (a tenant turns one off by disabling it). Whether
customer cards are per buyer or one marketplace-level card is each ERP connection's own
setting (kervan-nebim ``create_customers``/``customer_code``, kervan-parasut
``customer_cards``)."""

from __future__ import annotations

import logging
from typing import Any

from ..roles import ErpSink

log = logging.getLogger("kervan.erp")


def erp_connections(connectors: Any, tenant_id: str) -> list[str]:
    """The tenant's enabled ERP connections, by id; none when ``connectors`` cannot list
    connections (an engine wired without the connection service, as in unit tests)."""
    service = getattr(connectors, "connections", None)
    if service is None:
        return []
    out: list[str] = []
    for conn in service.list(tenant_id):
        if not conn.enabled:
            continue
        try:
            cls = service.resolve(conn.connector)
        except Exception as exc:  # an uninstalled plugin must not stop the others
            log.warning("connection %s/%s: %s", tenant_id, conn.id, exc)
            continue
        if isinstance(cls, type) and issubclass(cls, ErpSink):
            out.append(conn.id)
    return out
