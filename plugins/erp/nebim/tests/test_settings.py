"""Connection settings: validated, described, and the secrets kept out of errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.errors import InvalidInputError
from kervan_nebim import NebimSettings
from kervan_nebim.references import MAX_DOCUMENT_NUMBER, criteria, ref30
from kervan_nebim.sandbox import NebimSandbox

GOOD = NebimSandbox().demo_settings("http://erp.example.com:801")


def test_every_setting_has_a_plain_description():
    schema = NebimSettings.model_json_schema()
    missing = [k for k, v in schema["properties"].items() if not v.get("description")]
    assert missing == []


def test_the_seeds_rules_are_the_defaults():
    parsed = NebimSettings.parse(GOOD)
    assert not NebimSettings.model_fields["create_customers"].default
    assert NebimSettings.model_fields["post_as"].default == "order"
    assert parsed.update_product_names is False and parsed.price_updates is True


def test_credentials_come_all_together_or_not_at_all():
    with pytest.raises(InvalidInputError) as raised:
        NebimSettings.parse(GOOD | {"user_name": None})
    assert "together" in str(raised.value.to_dict())
    assert "sandbox-secret" not in str(raised.value.to_dict())


@pytest.mark.parametrize(
    "payment",
    [
        {"payment_type": 2},  # a card needs its type code
        {"payment_type": 4},  # a transfer needs its bank account code
        {"payment_type": 1, "code": "K1", "credit_card_type_code": "AKB"},
        {"payment_type": 3, "code": "x"},  # not a Nebim payment type
    ],
)
def test_a_payment_mapping_nebim_would_refuse_is_refused_here(payment):
    with pytest.raises(InvalidInputError):
        NebimSettings.parse(GOOD | {"payments": {"ODEMEARACISI": payment}})


def test_a_settlement_account_needs_the_bank_account():
    with pytest.raises(InvalidInputError):
        NebimSettings.parse(GOOD | {"bank_account_code": None})


def test_unknown_keys_are_refused():
    with pytest.raises(InvalidInputError):
        NebimSettings.parse(GOOD | {"post_as_order": True})


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_a_reference_always_fits_document_number_and_stays_itself(text):
    fitted = ref30(text)
    assert len(fitted) <= MAX_DOCUMENT_NUMBER and fitted == ref30(text)
    assert (fitted == text) == (len(text) <= MAX_DOCUMENT_NUMBER)


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=40))
def test_criteria_quote_the_value_so_it_reads_back(value):
    text = criteria("DocumentNumber", value)
    inner = text.split(" = ", 1)[1]
    assert inner.startswith("'") and inner.endswith("'")
    assert inner[1:-1].replace("''", "'") == value
