"""The SDK's standard contract suite for the Nebim connector, against its sandbox: in session
mode posting invoices (ModelType 8, which returns need), and in token mode."""

from kervan_nebim import Nebim
from kervan_nebim.sandbox import NebimSandbox
from kervan_sdk.testing import connector_suite

BASE = "http://nebim.sandbox:801"

TestNebimContract = connector_suite(Nebim, settings=NebimSandbox().demo_settings(BASE))


def token_sandbox() -> NebimSandbox:
    return NebimSandbox(mode="token")


TestNebimTokenContract = connector_suite(
    Nebim,
    settings=token_sandbox().demo_settings(BASE),
    sandbox_factory=token_sandbox,
)
