"""Issue 17, findings 2 and 3: a secret echoed by a remote, in any form, never leaves Kervan.

Two real HTTP servers on loopback stand in for hostile remotes. The Trendyol one answers every
call 400 with a message that echoes the ``Authorization`` header it got, and the secret in
plain, base64 (standard and URL-safe, unpadded) and URL-encoded form. The Yurtiçi one answers
with a SOAP fault that quotes the request, ``<wsPassword>`` included. After a ``/check`` of each
and a failed poll (a dead letter), no API body, no byte of any file under ``KERVAN_HOME`` (the
SQLite database, its WAL, the server log) and no captured log record holds any form of either
secret. Each remote records what it sent, so the test also proves the echo was there to leak.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.api.app import create_app
from kervan.domain import Party, PartyKind, Role, Tenant, TenantSettings, User
from kervan.domain.documents import Address
from kervan.errors import RemoteUnavailableError
from kervan.redaction import MASK, Redactor, install_log_redaction, remember
from kervan.runtime import Runtime
from kervan.store import open_store
from loopback import Remote

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Test Ltd. Şti.",
    tax_office="Kadıköy",
    address=Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul"),
)
TY_KEY = "canary-key-5e0b"
TY_SECRET = "Kanarya/7+q&z=w<9>X"  # '/', '+', '&', '=', '<': every encoding differs from plain
YC_USER = "kervan-ws"
YC_PASSWORD = "wsParola+8/&k=<q>"


def trendyol_echo(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
    auth = handler.headers.get("Authorization", "")
    secret = base64.b64decode(auth.split()[-1]).decode().split(":", 1)[1] if auth else ""
    raw = secret.encode()
    echo = (
        f"you sent {auth}; secret {secret}; b64 {base64.b64encode(raw).decode()}; "
        f"b64url {base64.urlsafe_b64encode(raw).decode().rstrip('=')}; url {quote(secret, safe='')}"
    )
    payload = {"errors": [{"key": "echo", "message": echo, "errorCode": "E1"}]}
    return 400, "application/json", json.dumps(payload).encode()


def yurtici_echo(handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
    # the fault quotes the request envelope, <wsPassword> and all (XML-escaped inside the text)
    fault = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>cannot process "
        f"{html.escape(body.decode())}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    )
    return 500, "text/xml; charset=utf-8", fault.encode()


def forms(secret: str, user: str) -> dict[str, bytes]:
    """The forms the issue names: plain, base64 (padded, unpadded, URL-safe), Basic, URL."""
    raw = secret.encode()
    out = {
        "plain": secret,
        "base64": base64.b64encode(raw).decode(),
        "base64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "base64url-unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "basic": base64.b64encode(f"{user}:{secret}".encode()).decode().rstrip("="),
        "url-encoded": quote(secret, safe=""),
        "url-encoded-lower": quote(secret, safe="").lower(),
        "form-encoded": quote_plus(secret),
        "xml-escaped": html.escape(secret, quote=False),
    }
    return {name: text.encode() for name, text in out.items()}


ALL_FORMS = {f"trendyol {k}": v for k, v in forms(TY_SECRET, TY_KEY).items()} | {
    f"yurtici {k}": v for k, v in forms(YC_PASSWORD, YC_USER).items()
}


def leaks(data: bytes) -> list[str]:
    return [name for name, form in ALL_FORMS.items() if form in data]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    ty, yc = Remote(trendyol_echo), Remote(yurtici_echo)
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/kervan.db"), mode="development")
    log_file = logging.FileHandler(tmp_path / "server.log", encoding="utf-8")
    log_file.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(log_file)
    root.setLevel(logging.DEBUG)
    try:
        yield {"rt": rt, "ty": ty, "yc": yc, "home": tmp_path}
    finally:
        root.removeHandler(log_file)
        root.setLevel(old_level)
        log_file.close()
        rt.close()
        ty.close()
        yc.close()


def test_an_echoed_secret_never_reaches_an_api_body_the_database_the_wal_or_the_log(
    world, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    rt: Runtime = world["rt"]
    rt.tenancy.create_tenant(Tenant(id="t1", name="t1", seller=SELLER, settings=TenantSettings()))
    admin = rt.tenancy.create_user(
        User(id="u-admin", tenant_id="t1", name="admin", roles=[Role.TENANT_ADMIN])
    )
    operator = rt.tenancy.create_user(
        User(id="u-op", tenant_id="t1", name="op", roles=[Role.OPERATOR])
    )
    admin_h = {"Authorization": f"Bearer {rt.tenancy.create_api_key(admin)[0]}"}
    op_h = {"Authorization": f"Bearer {rt.tenancy.create_api_key(operator)[0]}"}
    client = TestClient(create_app(rt), raise_server_exceptions=False)
    bodies: list[str] = []

    def call(method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        r = client.request(method, path, headers=headers, **kw)
        bodies.append(r.text)
        return r

    ty_settings = {
        "seller_id": "123456",
        "base_url": world["ty"].url,
        "api_key": TY_KEY,
        "api_secret": TY_SECRET,
    }
    yc_settings = {
        "endpoint": world["yc"].url + "/ws",
        "username": YC_USER,
        "password": YC_PASSWORD,
    }
    for cid, connector, s in (("ty", "trendyol", ty_settings), ("yc", "yurtici", yc_settings)):
        r = call(
            "POST",
            "/v1/connections",
            admin_h,
            json={"id": cid, "connector": connector, "settings": s},
        )
        assert r.status_code == 201, r.text

    for cid in ("ty", "yc"):
        r = call("POST", f"/v1/connections/{cid}/check", admin_h)
        assert r.status_code == 200 and r.json()["ok"] is False, r.text
        assert MASK in r.json()["message"], r.text  # the echo arrived, masked

    # a failed poll: health failure, then a dead letter (400 is not retried)
    jobs = rt.start_jobs(scheduler=False, worker_threads=1)
    jobs.send("poll_source", "t1", "ty")
    jobs.join(timeout_ms=60_000)
    deadline = time.monotonic() + 10
    while not call("GET", "/v1/dead-letters", op_h).json() and time.monotonic() < deadline:
        time.sleep(0.05)

    listed = call("GET", "/v1/connections", op_h).json()
    assert {c["id"] for c in listed} == {"ty", "yc"}
    for cid in ("ty", "yc"):
        health = call("GET", f"/v1/connections/{cid}/health", op_h).json()
        assert MASK in health["last_error"], health
        call("GET", f"/v1/connections/{cid}", op_h)
    letters = call("GET", "/v1/dead-letters", op_h).json()
    assert letters and MASK in letters[0]["error"], letters

    # the remotes did echo every form: what is absent below was removed, not never sent
    assert set(leaks(b"".join(world["ty"].sent))) >= {
        "trendyol plain",
        "trendyol base64",
        "trendyol basic",
        "trendyol base64url-unpadded",
        "trendyol url-encoded",
    }
    # the fault's text, as its XML parser reads it, quotes the envelope: <wsPassword>…
    fault_text = html.unescape(b"".join(world["yc"].sent).decode())
    assert "yurtici xml-escaped" in leaks(fault_text.encode())

    for body in bodies:
        assert leaks(body.encode()) == [], body
    assert leaks(caplog.text.encode()) == []

    home: Path = world["home"]
    files = {p.name: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    assert {"kervan.db", "kervan.db-wal", "server.log"} <= set(files), sorted(files)
    assert MASK.encode() in files["server.log"]  # the log did record the (masked) echo
    for name, data in files.items():
        assert leaks(data) == [], name

    rt.close()  # checkpoints the WAL into the database
    for path in home.rglob("*"):
        if path.is_file():
            assert leaks(path.read_bytes()) == [], path.name


# -- the redactor itself -----------------------------------------------------------------------


def test_every_form_of_a_secret_is_masked() -> None:
    r = Redactor([TY_SECRET])
    for name, form in forms(TY_SECRET, TY_KEY).items():
        text = f"before {form.decode()} after"
        assert r.text(text) == f"before {MASK} after" or form.decode() not in r.text(text), name
        assert form not in r.text(text).encode(), name
    assert r.text(json.dumps({"x": TY_SECRET})) == json.dumps({"x": MASK})


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8, max_size=40
    ),
    prefix=st.binary(max_size=7),
    suffix=st.binary(max_size=7),
    urlsafe=st.booleans(),
)
def test_a_secret_inside_any_base64_value_cannot_be_decoded_back(
    secret: str, prefix: bytes, suffix: bytes, urlsafe: bool
) -> None:
    """Whatever surrounds the secret (``user:`` of Basic auth, a JWT), decoding what is left
    of the value at any offset never gives back four bytes in a row of the secret."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    value = encode(prefix + secret.encode() + suffix).decode()
    redacted = Redactor([secret]).text(f"Basic {value}")
    raw = secret.encode()
    windows = {raw[i : i + 4] for i in range(len(raw) - 3)}
    for run in redacted.replace(MASK, " ").split():
        for start in range(4):
            piece = run[start:]
            piece = piece[: len(piece) - len(piece) % 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    decoded = decode(piece)
                except ValueError:
                    continue
                assert not any(w in decoded for w in windows), (secret, value, redacted)


def test_an_error_and_its_whole_chain_are_redacted_in_place() -> None:
    try:
        try:
            raise ValueError(f"inner {TY_SECRET}")
        except ValueError as inner:
            raise RemoteUnavailableError(
                f"outer {quote(TY_SECRET)}", detail={"echo": [TY_SECRET]}
            ) from inner
    except RemoteUnavailableError as exc:
        Redactor([TY_SECRET]).exception(exc)
        assert TY_SECRET not in str(exc) and quote(TY_SECRET) not in exc.message
        assert exc.detail == {"echo": [MASK]}
        assert str(exc.__cause__) == f"inner {MASK}"


def test_log_records_are_redacted_whatever_the_logger_or_handler(caplog) -> None:
    install_log_redaction()
    remember(["log-canary-61fa3"])
    caplog.set_level(logging.INFO)
    other = logging.getLogger("some.library")
    other.info("token %s", base64.b64encode(b"user:log-canary-61fa3").decode())
    try:
        raise RuntimeError("boom log-canary-61fa3")
    except RuntimeError:
        other.exception("failed")
    assert "log-canary-61fa3" not in caplog.text
    assert base64.b64encode(b"user:log-canary-61fa3").decode() not in caplog.text
    assert caplog.text.count(MASK) >= 2
