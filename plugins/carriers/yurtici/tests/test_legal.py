"""Yurtiçi's declared legal identity: what an e-Arşiv internet sale names as its carrier."""

from __future__ import annotations

from kervan.invoicing import carrier_for
from kervan_yurtici import Yurtici
from stdnum.tr import vkn


def test_yurtici_declares_its_title_and_a_valid_vkn_with_a_source():
    legal = Yurtici.legal_party
    assert legal is not None
    assert legal.name == "Yurtiçi Kargo Servisi A.Ş."
    assert vkn.is_valid(legal.tax_id)
    assert legal.source and legal.city == "İstanbul"


def test_marketplace_cargo_provider_names_map_to_yurtici():
    legal = Yurtici.legal_party
    assert legal is not None
    for name in ("Yurtiçi Kargo Marketplace", "YURTİÇİ KARGO", "yurtici kargo", "YKMP"):
        assert carrier_for(name, [legal]) == legal
    assert carrier_for("Aras Kargo Marketplace", [legal]) is None
