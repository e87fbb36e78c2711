"""Every domain model (and every public result model of the role contracts) survives a JSON
round trip unchanged: ``Model.model_validate_json(m.model_dump_json()) == m``.

Instances are generated from the models' own field declarations (types, ``Field`` constraints,
patterns, the money and tax-id validators), so a model added to ``kervan.domain`` is covered
without touching this file; the few cross-field rules (a person's names, a line's discount) get
hand-written strategies.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, get_args, get_origin
from uuid import UUID

import kervan
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import domain
from kervan.domain import OrderLine, Party, PartyKind, TenantSettings
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

MODELS = sorted(
    {
        obj
        for module in (domain, kervan)
        for obj in (getattr(module, name) for name in module.__all__)
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__.startswith("kervan.")
        and not issubclass(obj, kervan.ConnectorSettings)
    },
    key=lambda m: m.__name__,
)

_OMIT = object()
json_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _validator_names(metadata: list[Any]) -> set[str]:
    return {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for m in metadata:
        if isinstance(m, FieldInfo):
            found.update(_bounds(m.metadata))
        for attr in ("min_length", "max_length", "gt", "ge", "lt", "le", "pattern"):
            if getattr(m, attr, None) is not None:
                found[attr] = getattr(m, attr)
    return found


def decimals(metadata: list[Any]) -> st.SearchStrategy[Decimal]:
    validators, b = _validator_names(metadata), _bounds(metadata)
    if "_check_amount" in validators:
        return st.decimals(-(10**9), 10**9, places=2)
    if "_check_rate" in validators:
        return st.decimals(0, 100, places=2)
    if "_check_quantity" in validators:
        return st.decimals(Decimal("0.001"), 10**6, places=3)
    if "_check_positive" in validators:  # Positive; a field may also say how high
        return st.decimals(Decimal("0.0001"), 1000, places=4)
    low, high = b.get("ge", b.get("gt")), b.get("le", b.get("lt"))
    return st.decimals(
        low if low is not None else -(10**6), high if high is not None else 10**6, places=4
    ).filter(lambda d: ("gt" not in b or d > b["gt"]) and ("lt" not in b or d < b["lt"]))


def strings(metadata: list[Any]) -> st.SearchStrategy[str]:
    if "check_tax_id" in _validator_names(metadata):
        return st.sampled_from(["1234567890", "10000000146", "11111111111", "2222222222"])
    b = _bounds(metadata)
    low, high = b.get("min_length", 0), b.get("max_length", 40)
    if "pattern" in b:
        return st.from_regex(b["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=min(high, low + 12))


def for_type(tp: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return for_type(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        return st.one_of([for_type(a, metadata) for a in args])
    if origin is Literal:
        return st.sampled_from(args)
    if origin is list:
        b = _bounds(metadata)
        low = b.get("min_length", 0)
        return st.lists(for_type(args[0], []), min_size=low, max_size=low + 1)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8), for_type(args[1], []), max_size=3)
    if origin in (set, frozenset):
        return st.frozensets(for_type(args[0], []), max_size=3).map(origin)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(for_type(args[0], []), max_size=3).map(tuple)
        return st.tuples(*(for_type(a, []) for a in args))
    return _for_plain(tp, metadata)


def _for_plain(tp: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    b = _bounds(metadata)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        type(None): st.none(),
        bool: st.booleans(),
        bytes: st.binary(max_size=40),
        date: st.dates(),
        time: st.times(),
        timedelta: st.timedeltas(),
        UUID: st.uuids(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        datetime: st.datetimes(timezones=st.none() | st.just(UTC)),
        Any: json_values,
    }
    if tp in simple:
        return simple[tp]
    if tp is int:
        low = b.get("ge", b["gt"] + 1 if "gt" in b else -(10**6))
        high = b.get("le", b["lt"] - 1 if "lt" in b else 10**6)
        return st.integers(low, high)
    if tp is Decimal:
        return decimals(metadata)
    if tp is str:
        return strings(metadata)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return instances(tp)
    raise NotImplementedError(f"no strategy for {tp!r}: teach test_domain_roundtrip.py")


def fields_of(model: type[BaseModel], **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
    """A dict of field values for ``model``; optional fields are sometimes left out."""
    parts = {}
    for name, info in model.model_fields.items():
        strategy = fixed[name] if name in fixed else for_type(info.annotation, list(info.metadata))
        parts[name] = strategy if info.is_required() or name in fixed else st.just(_OMIT) | strategy
    return st.fixed_dictionaries(parts).map(
        lambda d: {k: v for k, v in d.items() if v is not _OMIT}
    )


def _parties() -> st.SearchStrategy[Party]:
    """A person needs both names, a company its name (Party's own cross-field rule)."""
    name = st.text(min_size=1, max_size=12)
    person = fields_of(Party, kind=st.just(PartyKind.PERSON), first_name=name, last_name=name)
    company = fields_of(Party, kind=st.just(PartyKind.COMPANY), company_name=name)
    return (person | company).map(Party.model_validate)


@st.composite
def _order_line(draw: st.DrawFn) -> OrderLine:
    data = draw(fields_of(OrderLine, unit_price=st.decimals(0, 10**6, places=2)))
    gross = (Decimal(data["unit_price"]) * Decimal(data["quantity"])).quantize(Decimal("0.01"))
    data["discount"] = draw(st.decimals(0, max(gross, Decimal(0)), places=2))
    return OrderLine.model_validate(data)


def _tenant_settings() -> st.SearchStrategy[TenantSettings]:
    """Series prefixes of their own per channel (the settings' cross-field rule)."""
    series = st.sampled_from(
        [{}, {"efatura": "ABC", "earsiv": "XYZ"}, {"TICARIFATURA": "TCR", "micro_export": "MKR"}]
    )
    return fields_of(TenantSettings, invoice_series=series).map(TenantSettings.model_validate)


OVERRIDES: dict[type[BaseModel], Callable[[], st.SearchStrategy[Any]]] = {
    Party: _parties,
    OrderLine: _order_line,
    TenantSettings: _tenant_settings,
}


@functools.cache
def instances(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Valid instances of ``model`` (built once per model: strategies are reusable)."""
    if model in OVERRIDES:
        return OVERRIDES[model]()
    return fields_of(model).map(model.model_validate)


def test_the_generated_set_covers_the_core_models():
    names = {m.__name__ for m in MODELS}
    assert {"Order", "Invoice", "Party", "Package", "Claim", "Connection", "Registration"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_model_json_round_trip(model: type[BaseModel]):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(instances(model))
    def round_trips(original: BaseModel) -> None:
        as_json = original.model_dump_json()
        again = model.model_validate_json(as_json)
        assert again == original
        assert again.model_dump_json() == as_json
        assert model.model_validate(original.model_dump(mode="json")) == original

    round_trips()


def test_a_model_refuses_unknown_fields():
    with pytest.raises(ValidationError, match="extra"):
        domain.Dimensions.model_validate(
            {"length_cm": 1, "width_cm": 1, "height_cm": 1, "weight_kg": 1, "colour": "red"}
        )


def test_the_strategy_builder_handles_types_a_new_model_may_use():

    from hypothesis import find

    class Newcomer(BaseModel):
        tags: set[str]
        pair: tuple[int, str]
        many: tuple[Decimal, ...]
        at: time
        wait: timedelta
        ref: UUID
        ratio: float
        mode: Literal["a", "b"]

    example = find(instances(Newcomer), lambda m: len(m.tags) > 1)
    assert Newcomer.model_validate_json(example.model_dump_json()) == example
