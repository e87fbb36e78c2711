"""Registration, entry point and settings: what the core sees of the plugin."""

from __future__ import annotations

from importlib.metadata import entry_points

import kervan_nilvera
import pytest
from kervan import DocumentIssuer, TaxClassifier
from kervan.errors import InvalidInputError
from kervan_nilvera import Nilvera, NilveraSettings


def test_the_entry_point_names_the_package() -> None:
    found = [ep for ep in entry_points(group="kervan.plugins") if ep.name == "nilvera"]
    assert [ep.value for ep in found] == ["kervan_nilvera"]


def test_one_class_registers_for_both_roles() -> None:
    classifiers: list[type] = []
    issuers: list[type] = []
    kervan_nilvera.register_tax_classifiers(classifiers.append)
    kervan_nilvera.register_document_issuers(issuers.append)
    assert classifiers == issuers == [Nilvera]
    assert issubclass(Nilvera, TaxClassifier) and issubclass(Nilvera, DocumentIssuer)
    assert set(Nilvera.roles()) == {"tax_classifier", "document_issuer"}
    assert Nilvera.key == "nilvera"


def test_settings_defaults_and_the_api_key_is_write_only() -> None:
    settings = NilveraSettings.parse({"api_key": "k-123"})
    assert settings.base_url == "https://api.nilvera.com"
    assert settings.earchive_cancel_window_days == 7
    assert settings.public_dict()["api_key"] == "**set**"
    schema = NilveraSettings.model_json_schema()
    assert schema["properties"]["api_key"]["writeOnly"] is True


def test_bad_settings_name_the_field_never_the_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        NilveraSettings.parse({"api_key": "s3cret-value", "timeout_s": -1, "typo": 1})
    text = str(caught.value) + repr(caught.value.errors)
    assert "timeout_s" in text and "typo" in text
    assert "s3cret-value" not in text


def test_settings_of_version_1_load_without_the_lookup_cache() -> None:
    """Version 1 kept registry answers itself; the engine alone keeps them now."""
    old = {"api_key": "k-123", "lookup_cache_ttl_s": 21600}
    with pytest.raises(InvalidInputError):
        NilveraSettings.parse(old)
    assert Nilvera.settings_version == 2
    settings = NilveraSettings.parse(Nilvera.migrate_settings(old, 1))
    assert settings.api_key.get_secret_value() == "k-123"
    assert "lookup_cache_ttl_s" not in NilveraSettings.model_fields
    assert Nilvera.migrate_settings({"api_key": "k"}, 2) == {"api_key": "k"}
