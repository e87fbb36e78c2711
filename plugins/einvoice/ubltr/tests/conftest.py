"""Shared fixtures for kervan-ubltr tests: one warmed-up GİB validator per session."""

from __future__ import annotations

import pytest
from kervan_ubltr import default_validator


@pytest.fixture(scope="session")
def validator():
    """The process-wide validator, warmed once (Saxon costs ~0.6 s to start)."""
    v = default_validator()
    v.warm_up()
    return v
