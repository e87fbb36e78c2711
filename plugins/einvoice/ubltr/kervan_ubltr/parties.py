"""Parties and addresses: domain ⇄ UBL-TR ``cac:Party`` / ``cac:PostalAddress``.

Mapping (round-trips exactly):

* ``tax_id`` → ``PartyIdentification/ID[@schemeID=VKN|TCKN]``; ``company_name`` →
  ``PartyName/Name`` and ``PartyLegalEntity/RegistrationName`` (a VKN party without a company
  name still gets a ``PartyName``: GİB requires one); ``first_name``/``last_name`` →
  ``Person``; ``tax_office`` → ``PartyTaxScheme/TaxScheme/Name``; ``phone``/``email`` →
  ``Contact``.
* Address ``lines`` → ``StreetName`` joined by newlines, ``neighbourhood`` → ``District``
  (mahalle), ``district`` → ``CitySubdivisionName`` (ilçe), ``city`` → ``CityName`` (il),
  ``postal_code`` → ``PostalZone``, ``country`` → ``Country/IdentificationCode``.
  ``Address.phone`` has no place in a UBL address; callers move it to ``Party.phone``.
"""

from __future__ import annotations

import copy
import threading

from kervan.domain import Address, Party, PartyKind
from lxml import etree

from .xmlutil import CAC, CBC, Element, cac, cbc, path, sub, text_of

COUNTRY_NAMES = {"TR": "Türkiye", "DE": "Almanya", "GB": "Birleşik Krallık", "US": "ABD"}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def build_address(parent: Element, tag: str, address: Address) -> Element:
    el = sub(parent, CAC + tag)
    cbc(el, "StreetName", "\n".join(address.lines))
    cbc(el, "CitySubdivisionName", address.district)
    cbc(el, "CityName", address.city)
    if address.postal_code:
        cbc(el, "PostalZone", address.postal_code)
    if address.neighbourhood:
        cbc(el, "District", address.neighbourhood)
    country = cac(el, "Country")
    cbc(country, "IdentificationCode", address.country)
    cbc(country, "Name", country_name(address.country))
    return el


def parse_address(el: Element) -> Address:
    street = text_of(el, CBC + "StreetName") or "-"
    return Address(
        lines=[line for line in street.split("\n") if line.strip()] or ["-"],
        district=text_of(el, CBC + "CitySubdivisionName") or "-",
        city=text_of(el, CBC + "CityName") or "-",
        postal_code=text_of(el, CBC + "PostalZone"),
        neighbourhood=text_of(el, CBC + "District"),
        country=text_of(el, path("cac:Country", "cbc:IdentificationCode")) or "TR",
    )


def build_party(
    parent: Element,
    party: Party,
    fallback_address: Address | None = None,
    *,
    identification: tuple[str, str] | None = None,
    legal_name: bool = False,
) -> Element:
    """``cac:Party`` for ``party`` under ``parent``.

    ``identification`` replaces the VKN/TCKN (IHRACAT's ``("PARTYTYPE", "EXPORT")``; the real
    id then goes to ``PartyLegalEntity/CompanyID``); ``legal_name`` forces a
    ``RegistrationName`` (IHRACAT's buyer needs one even for a person).
    """
    el = cac(parent, "Party")
    scheme, value = identification or (party.scheme, party.tax_id)
    cbc(cac(el, "PartyIdentification"), "ID", value, schemeID=scheme)
    if party.company_name or party.scheme == "VKN" or identification:
        cbc(cac(el, "PartyName"), "Name", party.display_name)
    address = party.address or fallback_address
    if address is None:
        raise ValueError(f"party {party.display_name} has no address")
    build_address(el, "PostalAddress", address)
    if party.tax_office:
        cbc(cac(cac(el, "PartyTaxScheme"), "TaxScheme"), "Name", party.tax_office)
    if party.company_name or legal_name or identification:
        entity = cac(el, "PartyLegalEntity")
        if party.company_name or legal_name:
            cbc(entity, "RegistrationName", party.display_name)
        if identification:
            cbc(entity, "CompanyID", party.tax_id)
    if party.phone or party.email:
        contact = cac(el, "Contact")
        if party.phone:
            cbc(contact, "Telephone", party.phone)
        if party.email:
            cbc(contact, "ElectronicMail", party.email)
    if party.first_name and party.last_name:
        person = cac(el, "Person")
        cbc(person, "FirstName", party.first_name)
        cbc(person, "FamilyName", party.last_name)
    return el


def build_signature(root: Element, seller: Party, document_number: str) -> None:
    """``cac:Signature``: who signs (the seller) and where the XAdES signature will be."""
    sig = cac(root, "Signature")
    cbc(sig, "ID", seller.tax_id, schemeID="VKN_TCKN")
    signer = cac(sig, "SignatoryParty")
    cbc(cac(signer, "PartyIdentification"), "ID", seller.tax_id, schemeID=seller.scheme)
    if seller.address is None:
        raise ValueError("the seller needs an address")
    build_address(signer, "PostalAddress", seller.address)
    ext_ref = cac(cac(sig, "DigitalSignatureAttachment"), "ExternalReference")
    cbc(ext_ref, "URI", f"#Signature_{document_number}")


#: (seller, its cac:Signature, its cac:Party), the last used first
_SELLER_BLOCKS: list[tuple[Party, Element, Element]] = []
_SELLERS_KEPT = 16
_seller_lock = threading.Lock()  # documents are built in worker threads
_URI = path("cac:DigitalSignatureAttachment", "cac:ExternalReference", "cbc:URI")


def seller_blocks(root: Element, seller: Party, document_number: str, supplier_tag: str) -> None:
    """Append ``cac:Signature`` and the supplier party (``supplier_tag``) for ``seller``.

    A tenant issues every document with the same seller, so both blocks are built once and
    copied (lxml copies a subtree in C, several times faster than building it). The cache is
    found by equality, not identity: each invoice read from the store brings a new, equal
    Party, and a changed seller is built anew. The most recent sellers are kept, the last used
    first.
    """
    with _seller_lock:
        hit = None
        for i, entry in enumerate(_SELLER_BLOCKS):
            if entry[0] == seller:
                hit = entry
                if i:
                    _SELLER_BLOCKS.insert(0, _SELLER_BLOCKS.pop(i))
                break
    if hit is None:
        holder = etree.Element("holder")
        build_signature(holder, seller, "")
        build_party(cac(holder, "Supplier"), seller)
        hit = (seller.model_copy(deep=True), holder[0], holder[1][0])
        with _seller_lock:
            _SELLER_BLOCKS.insert(0, hit)
            del _SELLER_BLOCKS[_SELLERS_KEPT:]
    signature = copy.deepcopy(hit[1])
    uri = signature.find(_URI)
    assert uri is not None
    uri.text = f"#Signature_{document_number}"
    root.append(signature)
    cac(root, supplier_tag).append(copy.deepcopy(hit[2]))


def _tax_id(el: Element) -> str:
    for ident in el.iterfind(path("cac:PartyIdentification", "cbc:ID")):
        if ident.get("schemeID") in ("VKN", "TCKN") and ident.text:
            return ident.text.strip()
    company_id = text_of(el, path("cac:PartyLegalEntity", "cbc:CompanyID"))
    if company_id:
        return company_id
    raise ValueError("party has no VKN/TCKN")


def _company_name(el: Element, first: str | None, last: str | None, forced: bool) -> str | None:
    """The company name if ``el`` is a company, else ``None``.

    A ``RegistrationName`` marks a company, except where one is forced (the IHRACAT buyer) and
    it is just the person's name. Other issuers often write a company with only a
    ``PartyName``, or a person with an empty ``FamilyName``: without both person names, the
    party is taken as a company under its ``PartyName``.
    """
    legal = text_of(el, path("cac:PartyLegalEntity", "cbc:RegistrationName"))
    if legal and not (forced and first and last and legal == f"{first} {last}"):
        return legal
    if first and last:
        return None
    name = legal or text_of(el, path("cac:PartyName", "cbc:Name"))
    if name is None:
        raise ValueError("party has neither a person's names nor a name")
    return name


def parse_party(el: Element, *, legal_name: bool = False) -> Party:
    """The domain :class:`Party` of a ``cac:Party`` element (``legal_name``: the
    ``RegistrationName`` was forced, as for the IHRACAT buyer)."""
    first = text_of(el, path("cac:Person", "cbc:FirstName"))
    last = text_of(el, path("cac:Person", "cbc:FamilyName"))
    company = _company_name(el, first, last, legal_name)
    address_el = el.find(CAC + "PostalAddress")
    return Party(
        kind=PartyKind.COMPANY if company else PartyKind.PERSON,
        tax_id=_tax_id(el),
        first_name=first if first and last else None,
        last_name=last if first and last else None,
        company_name=company,
        tax_office=text_of(el, path("cac:PartyTaxScheme", "cac:TaxScheme", "cbc:Name")),
        email=text_of(el, path("cac:Contact", "cbc:ElectronicMail")),
        phone=text_of(el, path("cac:Contact", "cbc:Telephone")),
        address=parse_address(address_el) if address_el is not None else None,
    )
