"""Kervan carrier plugin for Yurtiçi Kargo (SOAP ``ShippingOrderDispatcherServices``)."""

import kervan

from .connector import Yurtici, YurticiSettings

__all__ = ["Yurtici", "YurticiSettings", "register_carriers"]


@kervan.hookimpl
def register_carriers(register):  # type: ignore[no-untyped-def]
    register(Yurtici)
