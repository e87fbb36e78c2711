"""Trendyol webhooks through the API: verified, persisted raw, then processed; a payload that
cannot be processed is kept and processed later, so nothing pushed is lost."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.engine.records import INBOX, ORDER
from kervan.jobs import Scheduler
from kervan.store import Query

from .conftest import PERSON, make_order

HOOK_KEY = "hook-key-5d1c9a"


def _client(flow):
    settings = dict(flow.rt.connections.get("demo", "trendyol").settings)
    settings.update(webhook_auth="API_KEY", webhook_api_key=HOOK_KEY)
    flow.rt.connections.update("demo", "trendyol", settings)
    return TestClient(create_app(flow.rt), raise_server_exceptions=False)


def _package(flow, package_id: int) -> bytes:
    return json.dumps(flow.trendyol.packages[package_id]).encode()


def test_a_verified_webhook_is_stored_and_becomes_an_order(flow):
    flow.seed([make_order("7001", PERSON)])
    client = _client(flow)
    r = client.post(
        "/v1/webhooks/demo/trendyol",
        content=_package(flow, 7001),
        headers={"x-api-key": HOOK_KEY, "content-type": "application/json"},
    )
    assert r.status_code == 202 and r.json()["processed"] is True
    ts = flow.rt.store.tenant("demo")
    assert ts.get(ORDER, "trendyol:7001") is not None
    [item] = ts.query(Query(INBOX))
    assert item.body["processed"] is True and "7001" in item.body["body"]


def test_wrong_credentials_and_unknown_connections_get_the_same_refusal(flow):
    flow.seed([make_order("7002", PERSON)])
    client = _client(flow)
    bad = client.post(
        "/v1/webhooks/demo/trendyol", content=_package(flow, 7002), headers={"x-api-key": "wrong"}
    )
    unknown = client.post(
        "/v1/webhooks/nosuch/trendyol", content=b"{}", headers={"x-api-key": HOOK_KEY}
    )
    assert bad.status_code == unknown.status_code == 403
    assert bad.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert flow.rt.store.tenant("demo").query(Query(INBOX)) == []


def test_a_payload_that_fails_processing_is_kept_and_processed_by_the_reconciler(flow):
    flow.seed([make_order("7003", PERSON)])
    client = _client(flow)
    # a body that is not a payload at all (a package Trendyol broke is only a problem: see
    # test_quarantine.py); cut short, as when a proxy truncates it
    r = client.post(
        "/v1/webhooks/demo/trendyol",
        content=b'{"shipmentPackageId": 7003, "lines": [',
        headers={"x-api-key": HOOK_KEY},
    )
    assert r.status_code == 202 and r.json()["processed"] is False
    ts = flow.rt.store.tenant("demo")
    [item] = ts.query(Query(INBOX, {"processed": False}))
    assert item.body["error"]
    # the remote fixes nothing, but a good payload for the same connection arrives later
    good = client.post(
        "/v1/webhooks/demo/trendyol", content=_package(flow, 7003), headers={"x-api-key": HOOK_KEY}
    )
    assert good.json()["processed"] is True
    scheduler = Scheduler(
        flow.jobs, flow.rt.connections, lambda k: flow.rt.host.connector(k).roles()
    )
    scheduler.reconcile("demo")  # the bad one is tried again and stays pending with its error
    assert len(ts.query(Query(INBOX, {"processed": False}))) == 1
    assert ts.get(ORDER, "trendyol:7003") is not None
