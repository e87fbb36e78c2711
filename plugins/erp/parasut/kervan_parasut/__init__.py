"""Kervan ERP plugin for Paraşüt (API v4, JSON:API)."""

from collections.abc import Callable

import kervan

from .connector import Parasut
from .settings import ParasutSettings

__all__ = ["Parasut", "ParasutSettings", "register_erp_sinks"]


@kervan.hookimpl
def register_erp_sinks(register: Callable[[type], None]) -> None:
    register(Parasut)
