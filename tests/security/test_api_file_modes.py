"""Database and key files are the owner's alone (issue 17, finding 9): the SQLite file, its
``-wal`` and ``-shm``, and the secret key file are 0600; ``KERVAN_HOME`` and every folder
Kervan creates for them are 0700; files an older Kervan left at 0644 are tightened on open.
The umask is opened wide for these tests, so the modes come from Kervan and not from it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.domain import Role, Tenant, User
from kervan.runtime import Runtime
from kervan.security import load_cipher
from kervan.store import open_store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def wide_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_the_default_home_database_wal_shm_and_key_file_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "deep" / "kervan-home"  # missing, with a missing parent
    monkeypatch.setenv("KERVAN_HOME", str(home))
    monkeypatch.delenv("KERVAN_STORE_URL", raising=False)
    monkeypatch.delenv("KERVAN_SECRET_KEY", raising=False)
    rt = Runtime.create()  # the default store and key file, as `kervan serve` opens them
    try:
        rt.tenancy.create_tenant(Tenant(id="t1", name="t1"))
        user = rt.tenancy.create_user(User(id="a", tenant_id="t1", name="a", roles=[Role.OPERATOR]))
        key, _ = rt.tenancy.create_api_key(user)
        # through the API too, so every file the server touches exists
        client = TestClient(create_app(rt))
        assert client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"}).is_success
        files = {p.name: _mode(p) for p in home.iterdir()}
        assert {"kervan.db", "kervan.db-wal", "kervan.db-shm", "secret.key"} <= set(files)
        assert all(mode == 0o600 for mode in files.values()), {n: oct(m) for n, m in files.items()}
        assert _mode(home) == 0o700 and _mode(home.parent) == 0o700
    finally:
        rt.close()


def test_files_left_open_to_others_are_tightened_and_home_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    monkeypatch.setenv("KERVAN_HOME", str(home))
    monkeypatch.delenv("KERVAN_SECRET_KEY", raising=False)
    db = home / "kervan.db"
    store = open_store(f"sqlite:///{db}")
    store.platform().upsert("tenant", "t1", {"id": "t1"})
    store.close()
    for path in home.iterdir():  # as an older Kervan left them
        os.chmod(path, 0o644)
    os.chmod(home, 0o755)
    store = open_store(f"sqlite:///{db}")
    try:
        store.platform().upsert("tenant", "t2", {"id": "t2"})
        load_cipher()
        modes = {p.name: oct(_mode(p)) for p in home.iterdir()}
        assert set(modes.values()) == {"0o600"}, modes
        assert _mode(home) == 0o700
    finally:
        store.close()


def test_a_folder_the_operator_chose_keeps_its_mode_but_the_files_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path / "elsewhere"))
    shared = tmp_path / "srv-data"
    shared.mkdir()
    os.chmod(shared, 0o755)
    store = open_store(f"sqlite:///{shared}/kervan.db")
    try:
        store.platform().upsert("tenant", "t1", {"id": "t1"})
        assert _mode(shared) == 0o755  # not Kervan's to close: other things may live there
        assert {oct(_mode(p)) for p in shared.iterdir()} == {"0o600"}
    finally:
        store.close()
    fresh = tmp_path / "made" / "for-kervan"
    store = open_store(f"sqlite:///{fresh}/kervan.db")
    try:
        assert _mode(fresh) == 0o700 and _mode(fresh.parent) == 0o700
    finally:
        store.close()
