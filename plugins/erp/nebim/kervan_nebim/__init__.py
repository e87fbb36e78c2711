"""Kervan ERP plugin for the Nebim V3 Integrator (REST/JSON on the tenant's IIS)."""

from collections.abc import Callable

import kervan

from .connector import Nebim
from .settings import NebimSettings, PaymentMapping

__all__ = ["Nebim", "NebimSettings", "PaymentMapping", "register_erp_sinks"]


@kervan.hookimpl
def register_erp_sinks(register: Callable[[type], None]) -> None:
    register(Nebim)
