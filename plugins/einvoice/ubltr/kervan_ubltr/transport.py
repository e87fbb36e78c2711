"""The transport-only e-İrsaliye builder lives in the core (:mod:`kervan.despatch`), so the
engine can call it without importing a plugin; re-exported here for plugin authors."""

from __future__ import annotations

from kervan.despatch import TRANSPORT_ONLY_NOTE, transport_despatch

__all__ = ["TRANSPORT_ONLY_NOTE", "transport_despatch"]
