"""The carriers Trendyol books under its own contracts, as an e-Arşiv invoice names them.

When Trendyol books the parcel (its "Marketplace" contracts), the package says only the
provider's name (``cargoProviderName``, e.g. "Yurtiçi Kargo Marketplace"). Trendyol publishes
each provider's tax number in its carrier table, "Trendyol Kargo Şirketleri Listesi
(getProviders)": https://developers.trendyol.com/docs/trendyol-kargo-şirketleri-listesi-getproviders
(English: https://developers.trendyol.com/v2.0/docs/trendyol-shipment-providers-list). The
names and tax numbers below are that table's; Aras's number is printed there with 9 digits
and is written here with its leading zero (``0720039666``, which passes the VKN checksum, as
every number here does). The table gives no address: the city is each company's head office
as publicly known, not from Trendyol's table.
"""

from __future__ import annotations

from kervan import CarrierLegal

SOURCE = (
    "Trendyol getProviders table "
    "(https://developers.trendyol.com/docs/trendyol-kargo-şirketleri-listesi-getproviders); "
    "city: the company's head office, not from that table"
)

_TABLE = (
    # (name in Trendyol's table, tax number, city of the head office)
    ("Kolay Gelsin Marketplace", "2910804196", "İstanbul"),
    ("Ceva Tedarik Marketplace", "1800038254", "İstanbul"),
    ("DHL eCommerce Marketplace", "6080712084", "İstanbul"),
    ("PTT Kargo Marketplace", "7320068060", "Ankara"),
    ("Sürat Kargo Marketplace", "7870233582", "İstanbul"),
    ("Trendyol Express Marketplace", "8590921777", "İstanbul"),
    ("Horoz Kargo Marketplace", "4630097122", "İstanbul"),
    ("CEVA Marketplace", "8450298557", "İstanbul"),
    ("Yurtiçi Kargo Marketplace", "3130557669", "İstanbul"),
    ("Aras Kargo Marketplace", "0720039666", "İstanbul"),
)

#: Trendyol's contract carriers, matched by the package's ``cargoProviderName``
MARKETPLACE_CARRIERS: tuple[CarrierLegal, ...] = tuple(
    CarrierLegal(name=name, tax_id=vkn, city=city, source=SOURCE, aliases=(name,))
    for name, vkn, city in _TABLE
)


#: the public tracking page of the carriers Kervan books itself, for Trendyol's alternative
#: delivery (which takes a tracking *link*, not a number). Uncertain: written from the
#: carriers' public tracking pages as Kervan's own carrier sandboxes render them, not from a
#: Trendyol or carrier document; a connection overrides them with ``tracking_link_template``.
TRACKING_LINKS: dict[str, str] = {
    "mng": "https://kargotakip.mngkargo.com.tr/?takipNo={number}",
    "yurtici": "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code={number}",
}


def tracking_link(carrier: str, number: str, template: str | None = None) -> str | None:
    """The tracking page of ``number`` at ``carrier`` (a carrier plugin's key, e.g. "mng"),
    ``number`` itself when it is already a link; None when the carrier is unknown."""
    if number.startswith(("https://", "http://")):
        return number
    template = template or TRACKING_LINKS.get(carrier.lower().split(":")[0])
    return template.replace("{number}", number) if template else None
