"""The SDK's standard contract suite for the Yurtiçi connector, against its sandbox."""

from kervan_sdk.testing import connector_suite
from kervan_yurtici import Yurtici
from kervan_yurtici.sandbox import YurticiSandbox

TestYurticiContract = connector_suite(
    Yurtici, settings=YurticiSandbox().demo_settings("http://yurtici.sandbox")
)
