from __future__ import annotations

from collections.abc import Iterator

import pytest
from kervan.store import open_store
from kervan.store.port import TenantStore


@pytest.fixture
def ts() -> Iterator[TenantStore]:
    store = open_store("sqlite://:memory:")
    yield store.tenant("t1")
    store.close()
