"""Standard tests every connector gets: settings schema, secret hygiene, connection check."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from kervan import Carrier, CheckResult, Connector, OrderSource
from kervan.errors import AuthError, InvalidInputError, KervanError

from .harness import Harness, SuiteConfig, describe


async def exercise(kit: Harness, connector: Connector) -> None:
    """One ordinary operation per role the connector plays, so their logging is seen too."""
    from .suite_orders import seed
    from .suite_shipping import package

    if isinstance(connector, OrderSource):
        seed(kit)
        async for _ in connector.fetch_orders(kit.clock.now() - timedelta(days=7)):
            pass
    if isinstance(connector, Carrier):
        await connector.create_shipment(package(kit))


# field names that hold credentials whatever a remote calls them
_SECRETISH = re.compile(r"(password|passwd|secret|token|api_?key|apikey|private_?key)", re.I)


class ConnectorContract:
    """Settings, secrets and ``check()``: what every connector class must get right."""

    config: ClassVar[SuiteConfig]

    @pytest.fixture
    def kit(self) -> Harness:
        return Harness(self.config)

    def test_settings_schema_rejects_unknown_keys(self, kit: Harness) -> None:
        settings_class = kit.config.connector_class.Settings
        with pytest.raises(InvalidInputError) as info:
            settings_class.parse({**kit.config.settings, "surely_not_a_setting": "x"})
        assert "surely_not_a_setting" in str(info.value)

    def test_settings_schema_marks_secrets_write_only(self, kit: Harness) -> None:
        settings_class = kit.config.connector_class.Settings
        schema = settings_class.model_json_schema()
        properties: dict[str, Any] = schema.get("properties", {})
        secret_fields = set(settings_class.secret_fields())
        for name, field in settings_class.model_fields.items():
            key = field.alias or name
            if _SECRETISH.search(name):
                assert name in secret_fields, f"settings field {name!r} looks secret: use SecretStr"
            if name in secret_fields:
                assert properties[key].get("writeOnly") is True, f"{name!r} is not writeOnly"

    def test_settings_errors_never_echo_secret_values(self, kit: Harness) -> None:
        settings_class = kit.config.connector_class.Settings
        for secret in kit.secrets():
            with pytest.raises(InvalidInputError) as info:
                settings_class.parse({**kit.config.settings, "surely_not_a_setting": secret})
            kit.assert_no_secret_in(describe(info.value), "a settings validation error")
            kit.assert_no_secret_in(repr(info.value.errors), "settings validation details")

    def test_secrets_never_appear_in_repr(self, kit: Harness) -> None:
        connector = kit.build()
        kit.assert_no_secret_in(repr(connector), "the connector's repr")
        kit.assert_no_secret_in(str(connector), "the connector's str")
        kit.assert_no_secret_in(repr(connector.settings), "the settings' repr")
        for name, value in vars(connector).items():
            if name != "settings":
                kit.assert_no_secret_in(repr(value), f"repr of connector attribute {name!r}")

    @pytest.mark.asyncio
    async def test_secrets_never_appear_in_logs(
        self, kit: Harness, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            for settings in (kit.config.settings, kit.config.bad_settings):
                async with kit.connected(settings) as connector:
                    # what errors say is checked elsewhere; here only what gets logged
                    with contextlib.suppress(KervanError):
                        await connector.check()
            async with kit.connected() as connector:
                with contextlib.suppress(KervanError):
                    await exercise(kit, connector)
        assert caplog.records, "nothing was logged at all: is the HTTP client in use?"
        kit.assert_no_secret_in(caplog.text, "the logs")

    @pytest.mark.asyncio
    async def test_secrets_never_appear_in_errors(self, kit: Harness) -> None:
        async with kit.connected(kit.config.bad_settings) as connector:
            try:
                result = await connector.check()
            except Exception as exc:
                kit.assert_no_secret_in(describe(exc), "the error check() raised")
            else:
                kit.assert_no_secret_in(result.model_dump_json(), "the check result")

    @pytest.mark.asyncio
    async def test_check_passes_against_the_sandbox(self, kit: Harness) -> None:
        async with kit.connected() as connector:
            result = await connector.check()
        assert isinstance(result, CheckResult)
        assert result.ok, f"check() failed against the sandbox: {result.message}"

    @pytest.mark.asyncio
    async def test_check_fails_cleanly_with_bad_credentials(self, kit: Harness) -> None:
        async with kit.connected(kit.config.bad_settings) as connector:
            try:
                result = await connector.check()
            except AuthError:
                return  # a clean, typed refusal
        assert isinstance(result, CheckResult)
        assert not result.ok, "check() passed with wrong credentials"
        assert result.message, "a failed check must say why"
