"""Kervan carrier plugin for MNG Kargo / DHL eCommerce (REST, IBM API Connect)."""

from collections.abc import Callable

import kervan

from .connector import Mng, MngSettings

__all__ = ["Mng", "MngSettings", "register_carriers"]


@kervan.hookimpl
def register_carriers(register: Callable[[type], None]) -> None:
    register(Mng)
