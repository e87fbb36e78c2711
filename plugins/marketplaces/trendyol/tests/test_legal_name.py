"""Trendyol declares the legal name an e-Arşiv invoice prints as the payment agent."""

from __future__ import annotations

from kervan.roles import OrderSource
from kervan_trendyol.connector import Trendyol


def test_trendyol_declares_its_operating_companys_legal_name():
    assert Trendyol.legal_name == "DSM Grup Danışmanlık İletişim ve Satış Ticaret A.Ş."
    assert Trendyol.legal_name != Trendyol.key  # never the connector key


def test_an_order_source_declares_no_legal_name_by_default():
    assert OrderSource.legal_name is None
