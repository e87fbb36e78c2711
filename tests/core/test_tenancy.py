"""Tenants, users and API keys: hashed at rest, roles, authentication with a short cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kervan.domain.tenancy import Role, Tenant, User
from kervan.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from kervan.security.apikeys import ApiKeyHasher, parse_key
from kervan.store import DocumentExists
from kervan.store.sqlite import SqliteStore
from kervan.tenancy import NotAuthenticated, Principal, TenancyService

FAST = ApiKeyHasher(time_cost=1, memory_cost=1024)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "kervan.db"))
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(store: SqliteStore, clock: Clock) -> TenancyService:
    service = TenancyService(store, FAST, cache_ttl_s=60, clock=clock)
    service.create_tenant(Tenant(id="acme", name="Acme A.Ş."))
    service.create_user(
        User(id="u-op", tenant_id="acme", name="Op", roles=[Role.OPERATOR, Role.PICKER])
    )
    service.create_user(User(id="u-root", name="Root", roles=[Role.PLATFORM_ADMIN]))
    return service


def test_tenants_are_created_listed_and_unique(svc: TenancyService) -> None:
    svc.create_tenant(Tenant(id="beta", name="Beta"))
    assert [t.id for t in svc.list_tenants()] == ["acme", "beta"]
    assert svc.get_tenant("acme").created_at is not None  # type: ignore[union-attr]
    with pytest.raises(DocumentExists):
        svc.create_tenant(Tenant(id="beta", name="Again"))


def test_users_are_listed_per_tenant_and_platform(svc: TenancyService) -> None:
    assert [u.id for u in svc.list_users("acme")] == ["u-op"]
    assert [u.id for u in svc.list_users(None)] == ["u-root"]


def test_role_rules_for_platform_and_tenant_users(svc: TenancyService) -> None:
    with pytest.raises(InvalidInputError):
        svc.create_user(User(id="x", tenant_id="acme", name="X", roles=[Role.PLATFORM_ADMIN]))
    with pytest.raises(InvalidInputError):
        svc.create_user(User(id="y", name="Y", roles=[Role.OPERATOR]))
    with pytest.raises(NotFoundError):
        svc.create_user(User(id="z", tenant_id="nope", name="Z", roles=[Role.PACKER]))


def test_api_key_is_stored_only_as_argon2_hash(svc: TenancyService, store: SqliteStore) -> None:
    plaintext, record = svc.create_api_key("u-op", tenant_id="acme")
    assert parse_key(plaintext) == record.prefix and plaintext.startswith("kv_")
    raw = store.platform().get("api_key", record.prefix)
    assert raw is not None
    assert raw.body["hash"].startswith("$argon2id$")
    assert plaintext not in str(raw.body) and plaintext.split("_", 2)[2] not in str(raw.body)
    assert plaintext not in repr(record)
    assert plaintext not in Path(store.path).read_bytes().decode("utf-8", "replace")


def test_authenticate_returns_the_principal(svc: TenancyService) -> None:
    plaintext, record = svc.create_api_key("u-op", tenant_id="acme", roles=[Role.PICKER])
    p = svc.authenticate(plaintext)
    assert p == Principal("u-op", "acme", frozenset({Role.PICKER}), record.id)
    assert p.can_access("acme") and not p.can_access("beta")
    p.require(Role.PICKER, tenant_id="acme")
    with pytest.raises(PermissionDeniedError):
        p.require(Role.OPERATOR)
    with pytest.raises(PermissionDeniedError):
        p.require(Role.PICKER, tenant_id="beta")
    root = svc.authenticate(svc.create_api_key("u-root")[0])
    assert root.tenant_id is None and root.can_access("anything")
    root.require(Role.PACKER, tenant_id="beta")


def test_key_roles_must_be_a_subset_of_the_users(svc: TenancyService) -> None:
    with pytest.raises(InvalidInputError):
        svc.create_api_key("u-op", tenant_id="acme", roles=[Role.TENANT_ADMIN])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret, right prefix
        lambda k: "kv_000000000000_" + k.split("_", 2)[2],  # unknown prefix
        lambda k: "not-a-key",
        lambda k: "",
    ],
)
def test_wrong_keys_are_refused_without_echoing_them(svc: TenancyService, mangle) -> None:
    bad = mangle(svc.create_api_key("u-op", tenant_id="acme")[0])
    with pytest.raises(NotAuthenticated) as info:
        svc.authenticate(bad)
    assert isinstance(info.value, PermissionDeniedError)
    assert (bad or "x") not in str(info.value) and (bad or "x") not in repr(info.value.to_dict())


def test_revoke_takes_effect_at_once_in_this_process(svc: TenancyService) -> None:
    plaintext, record = svc.create_api_key("u-op", tenant_id="acme")
    svc.authenticate(plaintext)  # now cached
    svc.revoke_api_key(record.id)
    with pytest.raises(NotAuthenticated, match="revoked"):
        svc.authenticate(plaintext)
    assert [k.revoked for k in svc.list_api_keys(user_id="u-op", tenant_id="acme")] == [True]


def test_cache_skips_argon2_until_the_ttl_expires(
    svc: TenancyService, clock: Clock, monkeypatch
) -> None:
    plaintext, _ = svc.create_api_key("u-op", tenant_id="acme")
    svc.authenticate(plaintext)
    calls = []
    real = svc.hasher.verify
    monkeypatch.setattr(svc.hasher, "verify", lambda h, k: calls.append(1) or real(h, k))
    for _ in range(5):
        svc.authenticate(plaintext)
    assert calls == []
    clock.now += 61
    svc.authenticate(plaintext)
    assert calls == [1]


def test_other_process_revocation_is_seen_after_the_ttl(
    svc: TenancyService, store, clock: Clock
) -> None:
    plaintext, record = svc.create_api_key("u-op", tenant_id="acme")
    svc.authenticate(plaintext)
    other = TenancyService(store, FAST)  # another process, same database
    other.revoke_api_key(record.id)
    assert svc.authenticate(plaintext).user_id == "u-op"  # still cached here
    clock.now += 61
    with pytest.raises(NotAuthenticated):
        svc.authenticate(plaintext)


def test_inactive_user_or_tenant_cannot_authenticate(svc: TenancyService) -> None:
    plaintext, _ = svc.create_api_key("u-op", tenant_id="acme")
    svc.authenticate(plaintext)
    user = svc.get_user("u-op", "acme")
    assert user is not None
    svc.update_user(user.model_copy(update={"active": False}))
    with pytest.raises(NotAuthenticated, match="user"):
        svc.authenticate(plaintext)
    svc.update_user(user)
    svc.authenticate(plaintext)
    tenant = svc.get_tenant("acme")
    assert tenant is not None
    svc.update_tenant(tenant.model_copy(update={"active": False}))
    with pytest.raises(NotAuthenticated, match="tenant"):
        svc.authenticate(plaintext)


def test_default_hasher_is_argon2id_and_cached_verification_is_cheap(store) -> None:
    import time

    svc = TenancyService(store)
    svc.create_user(User(id="root", name="Root", roles=[Role.PLATFORM_ADMIN]))
    plaintext, record = svc.create_api_key("root")
    assert record.hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    start = time.perf_counter()
    svc.authenticate(plaintext)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(1000):
        svc.authenticate(plaintext)
    cached = (time.perf_counter() - start) / 1000
    assert cached < first / 10  # argon2 once, then a hash and a dict lookup


def test_api_key_plaintext_never_reaches_logs_or_reprs(svc: TenancyService, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    plaintext, record = svc.create_api_key("u-op", tenant_id="acme")
    principal = svc.authenticate(plaintext)
    try:
        svc.authenticate(plaintext + "x")
    except NotAuthenticated as exc:
        logging.getLogger("test").exception("auth failed: %s", exc)
    surfaces = [repr(record), str(record), repr(principal), repr(svc), caplog.text]
    assert not any(plaintext in s or plaintext.split("_", 2)[2] in s for s in surfaces)
