"""How the connector reads Yurtiçi's error answers (returns: test_returns.py)."""

from __future__ import annotations

import pytest
from kervan.errors import AuthError, RemoteUnavailableError
from kervan_yurtici import Yurtici, YurticiSettings

BASE = "http://yurtici.sandbox"


async def test_wrong_credentials_are_an_actionable_auth_error_sent_once(
    sandbox, context, make_package
):
    settings = {**sandbox.demo_settings(BASE), "password": "hunter2-wrong"}
    connector = Yurtici(YurticiSettings.parse(settings), context)
    with pytest.raises(AuthError) as info:
        await connector.track(["KRV0000001"])
    await connector.aclose()
    error = info.value
    assert not error.retryable
    assert error.detail["errCode"] == "1625"
    assert "username and password" in error.message and "IP address" in error.message
    assert "hunter2-wrong" not in str(error.to_dict())
    assert len(sandbox.envelopes) == 1, "an auth error is not re-sent"


async def test_an_unexpected_error_936_is_temporary(carrier, sandbox, make_package):
    sandbox.unexpected("createShipment")
    with pytest.raises(RemoteUnavailableError) as info:
        await carrier.create_shipment(make_package("KRV936X001"))
    assert info.value.retryable and info.value.detail["errCode"] == "936"
    assert "Beklenmeyen" in info.value.message
    # the engine retries the step later: the same package then goes through
    booking = await carrier.create_shipment(make_package("KRV936X001"))
    assert not booking.already_existed and "KRV936X001" in sandbox.shipments


async def test_a_936_while_tracking_is_temporary_too(carrier, sandbox):
    sandbox.unexpected("queryShipment")
    with pytest.raises(RemoteUnavailableError):
        await carrier.track(["KRV0000001"])
    assert await carrier.track(["KRV0000001"]) == {"KRV0000001": []}


async def test_cash_on_delivery_document_id_fits_twelve_digits(carrier, sandbox, make_package):
    await carrier.create_shipment(make_package("KRVCOD0002", cod_amount="99.90"))
    fields = sandbox.shipments["KRVCOD0002"].fields
    assert fields["ttDocumentId"] == "26000000001"  # KRV2026000000001's last 12 digits
    no_invoice = make_package("KRVCOD0003", cod_amount="99.90", invoice_number=None)
    await carrier.create_shipment(no_invoice)
    document = sandbox.shipments["KRVCOD0003"].fields["ttDocumentId"]
    assert document.isdigit() and len(document) <= 12


async def test_a_malformed_email_is_left_out_not_refused(carrier, sandbox, make_package):
    package = make_package("KRVMAIL001")
    package = package.model_copy(
        update={"receiver": package.receiver.model_copy(update={"email": "ayse@"})}
    )
    await carrier.create_shipment(package)
    assert "emailAddress" not in sandbox.shipments["KRVMAIL001"].fields
