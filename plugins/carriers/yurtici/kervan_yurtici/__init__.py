"""Kervan carrier plugin for Yurtiçi Kargo (SOAP ``ShippingOrderDispatcherServices``)."""

from collections.abc import Callable

import kervan

from .connector import Yurtici, YurticiSettings

__all__ = ["Yurtici", "YurticiSettings", "register_carriers"]


@kervan.hookimpl
def register_carriers(register: Callable[[type], None]) -> None:
    register(Yurtici)
