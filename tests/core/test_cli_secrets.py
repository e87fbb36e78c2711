"""`kervan secrets`: see what each key seals, rotate it, and still open every secret."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from kervan.cli.main import app
from kervan.connections import ConnectionService
from kervan.security.cipher import SecretCipher, decode_key, key_id, load_cipher
from kervan.store import open_store
from kervan.store.sqlite import SqliteStore
from typer.testing import CliRunner

from .test_secrets import CONNECTORS

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("KERVAN_HOME", str(home))
    monkeypatch.setenv("KERVAN_STORE_URL", f"sqlite:///{tmp_path}/k.db")
    monkeypatch.delenv("KERVAN_SECRET_KEY", raising=False)
    yield home


def _seed(cipher: SecretCipher) -> SqliteStore:
    store = open_store()
    assert isinstance(store, SqliteStore)
    svc = ConnectionService(store, CONNECTORS.__getitem__, cipher)
    for tenant in ("acme", "beta"):
        svc.create(tenant, "shop", "s1", {"supplier_id": 1, "api_key": "k", "api_secret": tenant})
    return store


def _secrets_open_with(store: SqliteStore, cipher: SecretCipher) -> list[str]:
    svc = ConnectionService(store, CONNECTORS.__getitem__, cipher)
    return [
        svc.load_settings(svc.require(t, "s1")).api_secret.get_secret_value()  # type: ignore[attr-defined]
        for t in ("acme", "beta")
    ]


def test_rotating_the_key_file_reseals_everything(home: Path) -> None:
    store = _seed(load_cipher())
    old = load_cipher().current_id
    shown = runner.invoke(app, ["secrets", "status"])
    assert shown.exit_code == 0, shown.output
    assert f"{old}  current  2 records" in shown.output
    done = runner.invoke(app, ["secrets", "rotate"])
    assert done.exit_code == 0, done.output
    new = load_cipher().current_id
    assert new != old and f"new key {new}" in done.output and "re-sealed 2" in done.output
    assert stat.S_IMODE((home / "secret.key").stat().st_mode) == 0o600
    after = runner.invoke(app, ["secrets", "status"])
    assert (
        f"{new}  current  2 records" in after.output
        and f"{old}  old      0 records" in after.output
    )
    # every secret opens with the new key alone
    only_new = SecretCipher([decode_key((home / "secret.key").read_text())])
    assert _secrets_open_with(store, only_new) == ["acme", "beta"]
    store.close()


def test_rotating_with_the_environment_key_ring(home: Path, monkeypatch) -> None:
    made = [runner.invoke(app, ["secrets", "new-key"]).stdout.strip() for _ in range(2)]
    old, new = made
    assert len(decode_key(new)) == 32 and old != new
    monkeypatch.setenv("KERVAN_SECRET_KEY", old)
    store = _seed(load_cipher())
    refused = runner.invoke(app, ["secrets", "rotate"])
    assert refused.exit_code != 0 and "'<new>,<old>'" in refused.output
    monkeypatch.setenv("KERVAN_SECRET_KEY", f"{new},{old}")
    done = runner.invoke(app, ["secrets", "rotate"])
    assert done.exit_code == 0 and "re-sealed 2" in done.output, done.output
    assert runner.invoke(app, ["secrets", "rotate"]).output.startswith("re-sealed 0")
    assert _secrets_open_with(store, SecretCipher([decode_key(new)])) == ["acme", "beta"]
    # a key dropped too early: status names the records nobody can open, and fails
    monkeypatch.setenv("KERVAN_SECRET_KEY", old)
    lost = runner.invoke(app, ["secrets", "status"])
    assert lost.exit_code == 1
    assert f"{key_id(decode_key(new))}  MISSING  2 records" in lost.output
    assert old not in lost.output and new not in lost.output  # key ids only, never keys
    store.close()
