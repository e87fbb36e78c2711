"""MNG's declared legal identity: what an e-Arşiv internet sale names as its carrier."""

from __future__ import annotations

from kervan.invoicing import carrier_for
from kervan_mng import Mng
from stdnum.tr import vkn


def test_mng_declares_its_title_and_a_valid_vkn_with_a_source():
    legal = Mng.legal_party
    assert legal is not None
    assert legal.name == "MNG Kargo Yurtiçi ve Yurtdışı Taşımacılık A.Ş."
    assert vkn.is_valid(legal.tax_id)
    assert "trendyol" in legal.source


def test_marketplace_cargo_provider_names_map_to_mng():
    legal = Mng.legal_party
    assert legal is not None
    for name in ("DHL eCommerce Marketplace", "MNG Kargo Marketplace", "MNG KARGO", "DHLECOMMP"):
        assert carrier_for(name, [legal]) == legal
    assert carrier_for("Yurtiçi Kargo Marketplace", [legal]) is None
