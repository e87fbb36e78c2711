"""MNG Kargo (DHL eCommerce) as an e-Arşiv internet-sale invoice names it (``CarrierParty``).

Sources are cited in the plugin's README ("Legal identity"): the title from DHL Group's press
release on the acquisition (6 October 2023), the VKN from Trendyol's carrier table, which lists
6080712084 for "DHL eCommerce Marketplace" (formerly MNG).
"""

from __future__ import annotations

from kervan.roles import CarrierLegal

LEGAL = CarrierLegal(
    name="MNG Kargo Yurtiçi ve Yurtdışı Taşımacılık A.Ş.",
    tax_id="6080712084",
    city="İstanbul",
    source=(
        "title: DHL Group press release 06.10.2023 (presseportal.de/pm/30097/5619593); "
        "VKN: Trendyol 'Kargo Şirketleri Listesi' (developers.trendyol.com/docs/"
        "trendyol-kargo-şirketleri-listesi-getproviders), DHLECOMMP"
    ),
    aliases=("MNG Kargo", "DHL eCommerce", "DHL eCommerce Marketplace", "DHLECOMMP", "MNG"),
)
