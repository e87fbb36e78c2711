"""Kervan's store: the :mod:`port <kervan.store.port>` and its adapters.

``open_store()`` is the way in; see :mod:`kervan.store.opening` for the URL forms.
"""

from .opening import kervan_home, open_store
from .port import *  # noqa: F403 - the port is this package's public surface
from .port import (
    PLATFORM_TENANT,
    CasMismatch,
    Doc,
    DocumentExists,
    DocumentNotFound,
    KindSpec,
    Query,
    Store,
    StoreError,
    StoreUnavailable,
    TenantStore,
    Transaction,
    UndeclaredIndex,
    declare_kind,
    declared_kinds,
)

__all__ = [
    "PLATFORM_TENANT",
    "CasMismatch",
    "Doc",
    "DocumentExists",
    "DocumentNotFound",
    "KindSpec",
    "Query",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TenantStore",
    "Transaction",
    "UndeclaredIndex",
    "declare_kind",
    "declared_kinds",
    "kervan_home",
    "open_store",
]
