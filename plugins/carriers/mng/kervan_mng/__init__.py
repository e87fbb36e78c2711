"""Kervan carrier plugin for MNG Kargo / DHL eCommerce (REST, IBM API Connect)."""

import kervan

from .connector import Mng, MngSettings

__all__ = ["Mng", "MngSettings", "register_carriers"]


@kervan.hookimpl
def register_carriers(register):  # type: ignore[no-untyped-def]
    register(Mng)
