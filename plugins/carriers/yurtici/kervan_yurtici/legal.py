"""Yurtiçi Kargo as an e-Arşiv internet-sale invoice names it (``CarrierParty``).

Sources are cited in the plugin's README ("Legal identity"). The VKN was found in public
integration code only (several independent e-Arşiv integrations and accounting tools use
9860008925 for "Yurtiçi Kargo Servisi A.Ş."); check it against GİB's registered-user list
before relying on it. Trendyol's carrier table lists 3130557669 for "Yurtiçi Kargo
Marketplace", but that is the VKN of Trendyol's own operator, DSM Grup, not Yurtiçi's.
"""

from __future__ import annotations

from kervan.roles import CarrierLegal

LEGAL = CarrierLegal(
    name="Yurtiçi Kargo Servisi A.Ş.",
    tax_id="9860008925",
    city="İstanbul",
    source=(
        "public e-Arşiv integration code naming Yurtiçi Kargo Servisi A.Ş. with VKN 9860008925 "
        "(see plugins/carriers/yurtici/README.md, 'Legal identity'); unverified against GİB"
    ),
    aliases=("Yurtiçi Kargo", "Yurtiçi Kargo Marketplace", "YKMP", "Yurtici"),
)
