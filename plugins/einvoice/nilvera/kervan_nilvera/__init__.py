"""kervan-nilvera: the Nilvera e-invoice integrator as a Kervan document issuer and tax classifier."""

from __future__ import annotations

import kervan

from .connector import Nilvera, NilveraSettings

__all__ = ["Nilvera", "NilveraSettings"]


@kervan.hookimpl
def register_tax_classifiers(register):  # type: ignore[no-untyped-def]
    register(Nilvera)


@kervan.hookimpl
def register_document_issuers(register):  # type: ignore[no-untyped-def]
    register(Nilvera)
