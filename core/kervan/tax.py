"""Which fiscal document an order gets: a pure function with an explicit table.

No I/O here. The engine asks the tax classifier (``TaxClassifier.lookup``) when
:func:`needs_lookup` says so, wraps an outage as :class:`LookupFailed`, and hands the answer to
:func:`decide`. The table (also in ``docs/ubl-tr.md``), first matching row wins:

==  ====================================================  ===========  ============  ==========
#   situation                                             kind         profile       type code
==  ====================================================  ===========  ============  ==========
1   ``order.micro_export`` (ETGB micro export)            EXPORT       EARSIVFATURA  ISTISNA 301
2   shipping country is not TR (classic export)           EXPORT       IHRACAT       ISTISNA 301
3   buyer id is a GİB placeholder (11111111111 /          EARSIV       EARSIVFATURA  SATIS
    2222222222): no registry question to ask
4   lookup is ``None`` (not asked yet)                    hold         –             –
5   lookup is :class:`LookupFailed` (outage, timeout,     hold         –             –
    ambiguous answer) – never guess e-Arşiv
6   lookup answers for another tax id                     hold         –             –
7   registered, exactly one distinct PK alias             EFATURA      TEMELFATURA*  SATIS
8   registered, no PK alias or several distinct ones      hold         –             –
9   not registered                                        EARSIV       EARSIVFATURA  SATIS
==  ====================================================  ===========  ============  ==========

\\* TICARIFATURA when the tenant asks for it (``commercial=True``); never for IADE.

Why micro export is e-Arşiv and not IHRACAT: an ETGB shipment (≤ 300 kg, ≤ 15,000 EUR) is
documented with an e-Arşiv invoice (express carriers refuse an e-Fatura for ETGB); the buyer is
abroad and not in GİB's registry, and the IHRACAT profile is for exports under a customs
declaration (GÇB) sent to the customs ministry's post box. The sale is exempt under KDV law
11/1-a (GİB exemption code 301). Sources are cited in ``docs/ubl-tr.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .domain import DocumentKind, Order
from .roles import Registration

EARSIV_PROFILE = "EARSIVFATURA"
BASIC_PROFILE = "TEMELFATURA"
COMMERCIAL_PROFILE = "TICARIFATURA"
EXPORT_PROFILE = "IHRACAT"
#: micro export (ETGB) is an e-Arşiv invoice; see the module docstring
MICRO_EXPORT_PROFILE = EARSIV_PROFILE
#: GİB exemption code for goods exported (KDV Kanunu 11/1-a, "Mal İhracatı")
EXPORT_EXEMPTION_CODE = "301"
EXPORT_EXEMPTION_REASON = "11/1-a Mal ihracatı"
#: the customs ministry's post box, the only receiver of IHRACAT e-Fatura
CUSTOMS_ALIAS = "urn:mail:ihracatpk@gtb.gov.tr"
#: profiles under which GİB accepts an IADE (return) invoice
IADE_PROFILES = frozenset(
    {"TEMELFATURA", "EARSIVFATURA", "ILAC_TIBBICIHAZ", "YATIRIMTESVIK", "IDIS", "KAMU"}
)


class LookupFailed(BaseModel):
    """The registry could not answer: outage, timeout, or an answer we cannot trust."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str
    at: datetime


class Decision(BaseModel):
    """What to issue for an order, or why to hold it; ``evidence`` is kept on the timeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: DocumentKind | None
    profile: str | None
    type_code: str | None
    receiver_alias: str | None
    hold: bool
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    #: exemption code every line takes (export: 301), ``None`` for taxed sales
    exemption_code: str | None = None


def needs_lookup(order: Order) -> bool:
    """Whether the registry must be asked before deciding.

    False for exports (micro or classic: the buyer is abroad and the decision does not depend
    on GİB's registry) and for GİB placeholder ids (11111111111 / 2222222222 name nobody who
    could be registered). True for every real VKN or TCKN, persons included: a sole trader is
    registered under their TCKN.
    """
    return not (order.is_export or order.buyer.is_placeholder)


def _hold(reason: str, **evidence: Any) -> Decision:
    return Decision(
        kind=None,
        profile=None,
        type_code=None,
        receiver_alias=None,
        hold=True,
        reason=reason,
        evidence=evidence,
    )


def _export(order: Order, micro_export_profile: str) -> Decision:
    micro = order.micro_export
    profile = micro_export_profile if micro else EXPORT_PROFILE
    return Decision(
        kind=DocumentKind.EXPORT,
        profile=profile,
        type_code="ISTISNA",
        receiver_alias=CUSTOMS_ALIAS if profile == EXPORT_PROFILE else None,
        hold=False,
        reason="micro export (ETGB)" if micro else "delivery outside Turkey",
        evidence={"country": order.shipping_address.country, "micro_export": micro},
        exemption_code=EXPORT_EXEMPTION_CODE,
    )


def _earsiv(reason: str, **evidence: Any) -> Decision:
    return Decision(
        kind=DocumentKind.EARSIV,
        profile=EARSIV_PROFILE,
        type_code="SATIS",
        receiver_alias=None,
        hold=False,
        reason=reason,
        evidence=evidence,
    )


def _registration_evidence(reg: Registration) -> dict[str, Any]:
    return {
        "tax_id": reg.tax_id,
        "registered": reg.registered,
        "aliases": [f"{a.type}:{a.name}" for a in reg.aliases],
        "checked_at": reg.checked_at.isoformat(),
        "source": reg.source,
    }


def default_alias(reg: Registration) -> str | None:
    """The PK alias to send to when a buyer has several: the one the registry marks default,
    else the one named by the integrators' ``defaultpk`` convention
    (``urn:mail:defaultpk@...``); None when that does not single one out."""
    pk = [a for a in reg.aliases if a.type == "PK"]
    marked = {a.name for a in pk if a.default}
    if len(marked) == 1:
        return marked.pop()
    named = {a.name for a in pk if "defaultpk" in a.name.lower()}
    return named.pop() if len(named) == 1 else None


#: the hold reason of a registered buyer with several PK aliases and no default one
SEVERAL_ALIASES = "registered buyer with several PK aliases and none marked default"


def _from_registration(
    order: Order, reg: Registration, commercial: bool, chosen_alias: str | None
) -> Decision:
    evidence = _registration_evidence(reg)
    if reg.tax_id != order.buyer.tax_id:
        return _hold("lookup answered for another tax id", **evidence)
    if not reg.registered:
        return _earsiv("buyer not registered for e-Fatura", **evidence)
    pk_aliases = sorted({a.name for a in reg.aliases if a.type == "PK"})
    if not pk_aliases:
        return _hold("registered buyer with no PK alias: ambiguous", **evidence)
    alias: str | None
    if len(pk_aliases) == 1:
        alias, how = pk_aliases[0], "its only PK alias"
    elif chosen_alias in pk_aliases:
        alias, how = chosen_alias, "the PK alias an operator chose"
    else:
        alias, how = default_alias(reg), "its default PK alias"
        if alias is None:
            return _hold(
                f"{SEVERAL_ALIASES}: an operator chooses one (POST /v1/orders/{{id}}/alias)",
                choices=pk_aliases,
                **evidence,
            )
    return Decision(
        kind=DocumentKind.EFATURA,
        profile=COMMERCIAL_PROFILE if commercial else BASIC_PROFILE,
        type_code="SATIS",
        receiver_alias=alias,
        hold=False,
        reason=f"buyer registered for e-Fatura; sent to {how}",
        evidence=evidence,
    )


def decide(
    order: Order,
    lookup: Registration | LookupFailed | None,
    *,
    micro_export_profile: str = MICRO_EXPORT_PROFILE,
    commercial: bool = False,
    chosen_alias: str | None = None,
) -> Decision:
    """Decide the document for a sales invoice of ``order`` (see the module table).

    ``commercial`` asks for TICARIFATURA instead of TEMELFATURA for registered buyers (the
    tenant's choice; a return is never TICARIFATURA, see :func:`return_profile`).
    ``chosen_alias``: the PK alias an operator chose for a buyer with several (used only if
    the registry still lists it).
    """
    if order.is_export:
        return _export(order, micro_export_profile)
    if order.buyer.is_placeholder:
        return _earsiv("placeholder buyer id: not a registered taxpayer", tax_id=order.buyer.tax_id)
    if lookup is None:
        return _hold("lookup pending", tax_id=order.buyer.tax_id)
    if isinstance(lookup, LookupFailed):
        return _hold(
            f"lookup failed: {lookup.reason}", tax_id=order.buyer.tax_id, at=lookup.at.isoformat()
        )
    return _from_registration(order, lookup, commercial, chosen_alias)


def return_profile(original_profile: str) -> str:
    """The profile a return (IADE) invoice takes for an original of ``original_profile``.

    GİB accepts IADE only under the profiles in :data:`IADE_PROFILES`; a TICARIFATURA original
    is returned under TEMELFATURA.
    """
    if original_profile in IADE_PROFILES:
        return original_profile
    return BASIC_PROFILE
