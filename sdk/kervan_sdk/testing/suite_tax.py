"""Standard tests for tax classifiers (e-Fatura registered-user lookups)."""

from __future__ import annotations

import random
from typing import ClassVar

import pytest
from kervan import Registration
from kervan.errors import KervanError

from ..sandbox import Fault
from .factories import make_scenario, tckn, vkn
from .harness import Harness, SuiteConfig

REGISTERED_ALIAS = "urn:mail:defaultpk@alici.kervan.test"


def seed_registry(kit: Harness) -> tuple[str, str]:
    """Register one company buyer in the sandbox; return (registered VKN, unknown TCKN)."""
    rng = random.Random(2024)
    registered, unknown = vkn(rng), tckn(rng)
    scenario = make_scenario()
    scenario.registered = {registered: REGISTERED_ALIAS}
    kit.sandbox.seed_scenario(scenario)
    return registered, unknown


class TaxClassifierContract:
    """What the engine relies on when it decides between e-Fatura and e-Arşiv."""

    config: ClassVar[SuiteConfig]

    @pytest.mark.asyncio
    async def test_tax_classifier_finds_a_registered_buyer_with_its_alias(
        self, kit: Harness
    ) -> None:
        registered, _ = seed_registry(kit)
        async with kit.connected() as connector:
            answer = await connector.lookup(registered)
        assert isinstance(answer, Registration)
        assert answer.registered and answer.tax_id == registered
        assert REGISTERED_ALIAS in [alias.name for alias in answer.aliases]
        assert answer.checked_at.tzinfo is not None, "checked_at must be timezone-aware"

    @pytest.mark.asyncio
    async def test_tax_classifier_reports_an_unregistered_buyer(self, kit: Harness) -> None:
        _, unknown = seed_registry(kit)
        async with kit.connected() as connector:
            answer = await connector.lookup(unknown)
        assert not answer.registered and answer.tax_id == unknown

    @pytest.mark.asyncio
    async def test_tax_classifier_raises_during_an_outage_and_never_answers_unregistered(
        self, kit: Harness
    ) -> None:
        # answering "not registered" during an outage would give an e-Fatura user an e-Arşiv
        registered, _ = seed_registry(kit)
        kit.sandbox.faults.add(Fault("status", status=503, times=1000))
        async with kit.connected() as connector:
            with pytest.raises(KervanError) as raised:
                answer = await connector.lookup(registered)
                pytest.fail(f"lookup answered {answer.registered=} while the registry was down")
        assert raised.value.retryable, "an outage must be a retryable error"
