"""GET /v1/health: no key needed, 200 when the process can take work and 503 when it cannot,
each check saying what is wrong and nothing about where (no URL, path or secret)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.plugins import PluginHost
from kervan.runtime import Runtime
from kervan.store import open_store

SECRET = "s3cret-Pa55"


def _health(client: TestClient, status: int) -> dict:
    r = client.get("/v1/health")  # no key
    assert r.status_code == status, r.text
    return r.json()


def test_a_plain_process_is_live_and_ready_without_a_key(site):
    body = _health(site.client, 200)
    assert body["status"] == "ok" and body["live"] and body["ready"]
    store, broker, plugins = (body["checks"][k] for k in ("store", "broker", "plugins"))
    assert store["ok"] and store["kind"] == "sqlite" and store["latency_ms"] >= 0
    assert broker == {
        "ok": True,
        "mode": "none",
        "worker": False,
        "scheduler": False,
        "error": None,
    }
    host = site.rt.host
    assert plugins["loaded"] == sum(r.loaded for r in host.report) and plugins["loaded"] > 0
    assert plugins["connectors"] == len(host.connectors())
    assert site.client.get("/healthz").json() == {"status": "ok"}


def test_the_embedded_worker_and_scheduler_running_make_it_ready(site):
    site.rt.start_jobs(worker_threads=1)
    broker = _health(site.client, 200)["checks"]["broker"]
    assert broker == {
        "ok": True,
        "mode": "embedded",
        "worker": True,
        "scheduler": True,
        "error": None,
    }
    site.rt.scheduler.stop()
    body = _health(site.client, 503)
    assert body["status"] == "unavailable" and not body["ready"] and body["live"]
    assert "scheduler stopped" in body["checks"]["broker"]["error"]


def test_an_embedded_queue_with_no_worker_is_not_ready(site):
    site.rt.start_jobs(worker=False, scheduler=False)
    broker = _health(site.client, 503)["checks"]["broker"]
    assert not broker["ok"] and broker["mode"] == "embedded" and not broker["worker"]
    assert broker["error"] == "no worker runs the in-process queue"


def test_a_store_that_fails_its_read_is_not_ready_and_the_answer_names_no_path(
    site, tmp_path, monkeypatch
):
    import sqlite3

    def broken() -> None:
        raise sqlite3.OperationalError(f"unable to open database file {tmp_path}/k.db")

    monkeypatch.setattr(site.rt.store, "platform", broken)
    r = site.client.get("/v1/health")
    assert r.status_code == 503
    store = r.json()["checks"]["store"]
    assert store == {"ok": False, "kind": "sqlite", "latency_ms": None, "error": "OperationalError"}
    assert str(tmp_path) not in r.text


def test_redis_mode_is_ready_when_redis_answers_a_ping(site, redis_url):
    site.rt.start_jobs(broker_url=redis_url, worker=False, scheduler=False)
    broker = _health(site.client, 200)["checks"]["broker"]
    assert broker["ok"] and broker["mode"] == "redis" and not broker["worker"]


def test_redis_mode_without_redis_is_not_ready_and_never_shows_the_url(site):
    # nothing listens on port 1; the password must not come back in any form
    url = f"redis://:{SECRET}@127.0.0.1:1/0"
    site.rt.start_jobs(broker_url=url, worker=False, scheduler=False)
    r = site.client.get("/v1/health")
    assert r.status_code == 503
    broker = r.json()["checks"]["broker"]
    assert not broker["ok"] and broker["mode"] == "redis"
    assert broker["error"].startswith("the broker does not answer (")
    for leak in (SECRET, "127.0.0.1", ":1/", "redis://"):
        assert leak not in r.text


@pytest.fixture
def broken_plugin_site(tmp_path, monkeypatch):
    """A process whose only plugin failed to import."""

    def make(strict: bool) -> TestClient:
        host = PluginHost(strict=strict)
        host.record_failure(
            "kervan-broken", f"ImportError: {tmp_path}/site-packages/x.py", distribution="kervan-x"
        )
        rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/{strict}.db"), host=host)
        made.append(rt)
        return TestClient(create_app(rt), raise_server_exceptions=False)

    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    made: list[Runtime] = []
    yield make
    for rt in made:
        rt.close()


def test_a_plugin_that_did_not_load_leaves_it_ready_but_degraded(broken_plugin_site, tmp_path):
    client = broken_plugin_site(strict=False)
    r = client.get("/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "degraded" and body["ready"]
    plugins = body["checks"]["plugins"]
    assert plugins["ok"] is False and plugins["failed"] == 1 and plugins["loaded"] == 0
    assert plugins["failures"] == [{"name": "kervan-broken", "status": "failed"}]
    assert str(tmp_path) not in r.text and "ImportError" not in r.text  # GET /v1/plugins says


def test_under_strict_plugins_a_failed_plugin_makes_it_not_ready(broken_plugin_site):
    body = _health(broken_plugin_site(strict=True), 503)
    assert body["status"] == "unavailable" and body["checks"]["plugins"]["failed"] == 1


def test_the_health_check_is_in_the_spec_as_open_to_anyone(site):
    op = site.client.get("/openapi.json").json()["paths"]["/v1/health"]["get"]
    assert op["x-roles"] == [] and op["x-auth"] == "none"
    assert set(op["responses"]) >= {"200", "503"}
