"""The tax classifier: Nilvera's registered-user check, asked each time, never "no" on failure."""

from __future__ import annotations

import pytest
from kervan.errors import (
    AuthError,
    InvalidInputError,
    InvalidResponseError,
    RemoteUnavailableError,
)
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import Fault, SimClock
from nilvera_testdata import BUYER_PK, BUYER_VKN, PERSON_TCKN, make_connector

CHECK = "/general/GlobalCompany/Check/TaxNumber/*"


async def test_registered_buyer_comes_back_with_its_pk_alias(connector: Nilvera) -> None:
    reg = await connector.lookup(BUYER_VKN)
    assert reg.registered is True
    assert reg.receiver_alias == BUYER_PK
    assert reg.title == "Alıcı Ltd. Şti."
    assert reg.source == "nilvera"


async def test_unregistered_buyer_is_a_definite_no(connector: Nilvera) -> None:
    reg = await connector.lookup(PERSON_TCKN)
    assert reg.registered is False
    assert reg.receiver_alias is None


async def test_every_lookup_asks_nilvera(sandbox: NilveraSandbox, clock: SimClock) -> None:
    """The connector keeps no answer: which answers may be reused is the engine's rule."""
    conn = make_connector(sandbox, clock)
    first = await conn.lookup(BUYER_VKN)
    clock.advance(1)
    again = await conn.lookup(BUYER_VKN)
    assert sandbox.count("GET", CHECK) == 2
    assert again.checked_at > first.checked_at
    await conn.aclose()


async def test_a_buyer_who_registers_is_seen_on_the_next_lookup(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    assert (await connector.lookup(PERSON_TCKN)).registered is False
    sandbox.add_taxpayer(PERSON_TCKN, "Ayşe Yılmaz", pk=["urn:mail:ayse@x.com"])
    assert (await connector.lookup(PERSON_TCKN)).receiver_alias == "urn:mail:ayse@x.com"


async def test_an_outage_raises_and_is_not_cached(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.outage(True, lookup_only=True)
    with pytest.raises(RemoteUnavailableError):
        await connector.lookup(BUYER_VKN)
    sandbox.outage(False, lookup_only=True)
    assert (await connector.lookup(BUYER_VKN)).registered is True


async def test_timeouts_on_every_retry_raise_remote_unavailable(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    # tiny delay: the SDK's loopback middleware also applies in-process timeouts (real sleep)
    sandbox.faults.add(Fault("timeout", path=CHECK, times=100, delay=0.001))
    with pytest.raises(RemoteUnavailableError):
        await connector.lookup(PERSON_TCKN)
    assert clock.slept >= 5 * 30  # five attempts, each waiting out the 30 s read timeout


async def test_a_transient_503_is_retried_and_answered(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.faults.add(Fault("status", path=CHECK, status=503, times=2))
    assert (await connector.lookup(BUYER_VKN)).registered is True
    assert sandbox.count("GET", CHECK) == 3


async def test_a_malformed_answer_is_invalid_not_unregistered(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.faults.add(Fault("malformed", path=CHECK, body='[{"Name": '))
    with pytest.raises(InvalidResponseError):
        await connector.lookup(PERSON_TCKN)
    # nothing cached: the next call asks again and gets the real answer
    assert (await connector.lookup(PERSON_TCKN)).registered is False


async def test_conflicting_records_are_ambiguous(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    body = (
        '[{"TaxNumber":"3297552117","Title":"A","Name":"urn:mail:a@x","Type":"PK"},'
        '{"TaxNumber":"3297552117","Title":"B","Name":"urn:mail:b@x","Type":"PK"}]'
    )
    sandbox.faults.add(Fault("status", path=CHECK, status=200, body=body))
    with pytest.raises(InvalidResponseError):
        await connector.lookup(BUYER_VKN)


async def test_a_404_is_not_taken_as_not_registered(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sandbox.faults.add(Fault("status", path=CHECK, status=404, body='{"Errors":[]}'))
    with pytest.raises(InvalidResponseError):
        await connector.lookup(PERSON_TCKN)


async def test_a_wrong_api_key_is_an_auth_error(sandbox: NilveraSandbox, clock: SimClock) -> None:
    conn = make_connector(sandbox, clock, api_key="wrong")
    with pytest.raises(AuthError) as caught:
        await conn.lookup(BUYER_VKN)
    assert "wrong" not in str(caught.value)
    await conn.aclose()


async def test_a_malformed_tax_id_never_reaches_nilvera(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    with pytest.raises(InvalidInputError):
        await connector.lookup("12-34")
    assert sandbox.count() == 0
