"""The SDK's standard contract suite for the connector's roles (the kit has no tax-classifier
suite yet; ``test_contract.py`` covers that role)."""

from kervan.domain import DocumentKind
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import DEMO_API_KEY
from kervan_sdk.testing import connector_suite
from nilvera_testdata import make_invoice

TestNilveraContract = connector_suite(
    Nilvera,
    settings={"api_key": DEMO_API_KEY, "base_url": "https://apitest.nilvera.com"},
    document_factory=lambda: make_invoice(DocumentKind.EARSIV),
)
