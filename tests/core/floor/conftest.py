from __future__ import annotations

from collections.abc import Iterator

import pytest
from kervan.store.port import TenantStore

from .helpers import fresh_tenant


@pytest.fixture
def ts() -> Iterator[TenantStore]:
    with fresh_tenant() as found:
        yield found
