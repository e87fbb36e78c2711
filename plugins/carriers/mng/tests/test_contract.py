"""The SDK's standard contract suite for the MNG connector, against its sandbox."""

from kervan_mng import Mng
from kervan_mng.sandbox import MngSandbox
from kervan_sdk.testing import connector_suite

TestMngContract = connector_suite(Mng, settings=MngSandbox().demo_settings("http://mng.sandbox"))
