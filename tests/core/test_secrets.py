"""Secrets at rest: a canary never leaks; key file; key ring; rotation."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from kervan.connections import SECRET, ConnectionService, rotate_secrets
from kervan.errors import InvalidInputError
from kervan.roles import ConnectorContext, OrderSource
from kervan.security.cipher import (
    SecretCipher,
    SecretDecryptError,
    encode_key,
    key_id,
    load_cipher,
    new_key,
)
from kervan.settings import ConnectorSettings
from kervan.store.sqlite import SqliteStore
from pydantic import SecretStr


class ShopSettings(ConnectorSettings):
    supplier_id: int
    api_key: str
    api_secret: SecretStr


class Shop(OrderSource):
    key = "shop"
    display_name = "Shop"
    Settings: ClassVar[type[ConnectorSettings]] = ShopSettings


CONNECTORS: dict[str, type] = {"shop": Shop}

CANARY = "CANARY-9f1c2e-do-not-leak"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "kervan.db"))
    yield s
    s.close()


def _surfaces(*objects: object) -> str:
    return "\n".join(f"{o!r}\n{o!s}" for o in objects)


def test_canary_secret_never_leaks(store: SqliteStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cipher = SecretCipher([new_key()])
    svc = ConnectionService(store, CONNECTORS.__getitem__, cipher)
    seen: list[object] = [cipher, svc, store]
    good = {"supplier_id": 1, "api_key": "pub", "api_secret": CANARY}

    c = svc.create("acme", "shop", "shop-1", good)
    seen += [c, c.model_dump(), c.model_dump_json(), svc.list("acme")]
    for bad in ({**good, "supplier_id": CANARY}, {**good, "extra": CANARY}, {"api_secret": CANARY}):
        with pytest.raises(InvalidInputError) as info:
            svc.create("acme", "shop", "shop-2", bad)
        seen += [info.value, info.value.to_dict(), info.value.errors]
        with pytest.raises(InvalidInputError) as info:
            svc.update("acme", "shop-1", bad)
        seen += [info.value, info.value.to_dict()]

    c = svc.update("acme", "shop-1", {"supplier_id": 2, "api_key": "pub"})
    settings = svc.load_settings(c)
    assert settings.api_secret.get_secret_value() == CANARY  # type: ignore[attr-defined]
    seen += [c, settings, settings.public_dict(), settings.model_dump(), settings.model_dump_json()]
    connector = svc.build("acme", "shop-1", lambda c: ConnectorContext(c.tenant_id, c.id))
    seen += [connector, vars(connector.context)]

    failed = svc.record_failure("acme", "shop-1", f"401 from remote: bad secret {CANARY}")
    assert failed.health.last_error == "401 from remote: bad secret ***"
    seen += [failed, failed.health]

    try:
        SecretCipher([new_key()]).decrypt(
            store.tenant("acme").get(SECRET, "shop-1").body["token"], "x"
        )  # type: ignore[union-attr]
    except SecretDecryptError as exc:
        logging.getLogger("test").exception("decrypt failed: %s", exc)
        seen += [exc, exc.to_dict()]
    logging.getLogger("test").info("connection %r settings %r", c, settings)

    assert CANARY not in _surfaces(*seen)
    assert CANARY not in caplog.text
    store.close()
    for path in Path(store.path).parent.iterdir():  # db, -wal, -shm: encrypted at rest
        assert CANARY.encode() not in path.read_bytes(), path.name


def test_token_is_bound_to_its_connection(store: SqliteStore) -> None:
    svc = ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([new_key()]))
    good = {"supplier_id": 1, "api_key": "pub", "api_secret": "a-secret"}
    svc.create("acme", "shop", "one", good)
    svc.create("acme", "shop", "two", {**good, "api_secret": "other"})
    t = store.tenant("acme")
    t.replace(SECRET, "two", t.get(SECRET, "one").body)  # type: ignore[union-attr]
    with pytest.raises(SecretDecryptError, match="authentication"):
        svc.load_settings(svc.require("acme", "two"))
    body = dict(t.get(SECRET, "one").body)  # type: ignore[union-attr]
    body["token"] = body["token"][:-4] + "AAAA"
    t.replace(SECRET, "one", body)
    with pytest.raises(SecretDecryptError):
        svc.load_settings(svc.require("acme", "one"))


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    env = {"KERVAN_HOME": str(tmp_path / "home")}
    first = load_cipher(env)
    path = tmp_path / "home" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    second = load_cipher(env)
    assert path.read_bytes() == content
    assert second.decrypt(first.encrypt(b"x", "ctx"), "ctx") == b"x"


def test_key_file_readable_by_others_is_warned_about(tmp_path: Path, caplog) -> None:
    load_cipher({"KERVAN_HOME": str(tmp_path)})
    os.chmod(tmp_path / "secret.key", 0o644)
    with caplog.at_level(logging.WARNING):
        load_cipher({"KERVAN_HOME": str(tmp_path)})
    assert "chmod 600" in caplog.text
    assert (tmp_path / "secret.key").read_text().strip() not in caplog.text


def test_env_key_ring_seals_with_first_and_opens_with_all(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    token = SecretCipher([old]).encrypt(b"payload", "ctx")
    ring = load_cipher({"KERVAN_SECRET_KEY": f"{encode_key(new)},{encode_key(old)}"})
    assert ring.current_id == key_id(new) and sorted(ring.key_ids) == sorted(
        [key_id(old), key_id(new)]
    )
    assert ring.decrypt(token, "ctx") == b"payload"
    assert ring.token_key_id(ring.encrypt(b"p", "c")) == key_id(new)
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(Exception, match="32 bytes"):
        load_cipher({"KERVAN_SECRET_KEY": encode_key(b"short")})


def test_rotation_reencrypts_everything_and_is_rerunnable(store: SqliteStore) -> None:
    old, new = new_key(), new_key()
    svc = ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([old]))
    for tenant in ("acme", "beta"):
        for i in range(3):
            svc.create(
                tenant,
                "shop",
                f"shop-{i}",
                {"supplier_id": i, "api_key": "k", "api_secret": f"{tenant}-{i}"},
            )

    assert rotate_secrets(store, [old], new) == 6
    assert rotate_secrets(store, [old], new) == 0  # already done: nothing to re-seal

    only_new = ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([new]))
    for tenant in ("acme", "beta"):
        for c in only_new.list(tenant):
            s = only_new.load_settings(c)
            assert s.api_secret.get_secret_value() == f"{tenant}-{c.settings['supplier_id']}"  # type: ignore[attr-defined]
            assert store.tenant(tenant).get(SECRET, c.id).body["key_id"] == key_id(new)  # type: ignore[union-attr]
    only_old = ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([old]))
    with pytest.raises(SecretDecryptError, match=key_id(new)):
        only_old.load_settings(only_old.require("acme", "shop-0"))


def test_key_file_rotation_keeps_everything_readable(store: SqliteStore, tmp_path: Path) -> None:
    from kervan.security.rotation import rotate_key_file

    home = tmp_path / "home"
    env = {"KERVAN_HOME": str(home)}
    svc = ConnectionService(store, CONNECTORS.__getitem__, load_cipher(env))
    svc.create("acme", "shop", "s1", {"supplier_id": 1, "api_key": "k", "api_secret": "one"})
    svc.create("beta", "shop", "s1", {"supplier_id": 2, "api_key": "k", "api_secret": "two"})
    old_id = load_cipher(env).current_id

    done = rotate_key_file(store, home, env)
    assert (done.old_key_id, done.resealed) == (old_id, 2)
    assert stat.S_IMODE((home / "secret.key").stat().st_mode) == 0o600
    assert (home / f"secret.key.old-{old_id}").exists()
    after = load_cipher(env)
    assert after.current_id == done.new_key_id != old_id
    fresh = ConnectionService(store, CONNECTORS.__getitem__, after)
    for tenant, value in (("acme", "one"), ("beta", "two")):
        c = fresh.require(tenant, "s1")
        assert fresh.load_settings(c).api_secret.get_secret_value() == value  # type: ignore[attr-defined]
        assert store.tenant(tenant).get(SECRET, "s1").body["key_id"] == done.new_key_id  # type: ignore[union-attr]
    (home / f"secret.key.old-{old_id}").unlink()  # after backups: only the new key is needed
    only_new = ConnectionService(store, CONNECTORS.__getitem__, load_cipher(env))
    assert (
        only_new.load_settings(only_new.require("acme", "s1")).api_secret.get_secret_value()
        == "one"
    )  # type: ignore[attr-defined]
    assert rotate_key_file(store, home, env).resealed == 2  # and again, from the new key
    with pytest.raises(Exception, match="KERVAN_SECRET_KEY is set"):
        rotate_key_file(store, home, {**env, "KERVAN_SECRET_KEY": encode_key(new_key())})
