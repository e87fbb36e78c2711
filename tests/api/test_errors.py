"""Every error answers in the envelope ``{"error": {"code", "message", "detail"?}}``: the
router's 404 and 405, a body that cannot be read (400), a wrong value (422), a plugin route's
HTTPException, and a bug (500)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.testclient import TestClient
from kervan.api import errors


def _envelope(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert body["error"]["code"] == code
    return body["error"]


def test_an_unknown_path_is_404_in_the_envelope(site):
    for path in ("/nope", "/v1/nope", "/v1/orders/ty:1/nope", "/static/docs/nope.js"):
        error = _envelope(site.client.get(path, headers=site.headers), 404, "not_found")
        assert error["message"] == f"no such path: {path}"


def test_a_wrong_method_is_405_and_keeps_its_allow_header(site):
    r = site.client.delete("/v1/orders", headers=site.headers)
    error = _envelope(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"
    assert error["message"] == "DELETE is not allowed on /v1/orders; allowed: GET"


def test_a_body_that_is_not_valid_json_is_400_and_says_where(site):
    body = b'{"on_hand": 5,\n "barcodes": [}'
    r = site.client.put(
        "/v1/stock/p1",
        content=body,
        headers={**site.headers, "Content-Type": "application/json"},
    )
    error = _envelope(r, 400, "bad_request")
    assert error["message"] == (
        "the request body is not valid JSON: Expecting value at line 2, column 15 (character 29)"
    )
    assert body.decode()[29] == "}"


def test_a_body_that_is_not_json_at_all_is_400(site):
    r = site.client.put(
        "/v1/stock/p1", content=b"on_hand=5", headers={**site.headers, "Content-Type": "text/plain"}
    )
    error = _envelope(r, 400, "bad_request")
    assert "must be JSON" in error["message"] and "application/json" in error["message"]


def test_well_formed_json_with_a_wrong_value_is_422_with_the_fields_never_the_values(site):
    r = site.client.put("/v1/stock/p1", json={"on_hand": -7777}, headers=site.headers)
    error = _envelope(r, 422, "invalid_input")
    assert error["detail"]["errors"][0]["loc"] == ["body", "on_hand"]
    assert "-7777" not in r.text
    r = site.client.get("/v1/orders", params={"limit": 501}, headers=site.headers)
    assert _envelope(r, 422, "invalid_input")["detail"]["errors"][0]["loc"] == ["query", "limit"]


def test_an_http_exception_raised_by_a_route_keeps_its_status_message_and_headers():
    app = FastAPI()
    errors.install(app)
    router = APIRouter()

    @router.get("/teapot")
    def teapot() -> None:
        raise HTTPException(418, "short and stout", headers={"X-Why": "tea"})

    @router.get("/structured")
    def structured() -> None:
        raise HTTPException(400, detail={"field": "x"})

    @router.get("/bug")
    def bug() -> None:
        raise RuntimeError("secret-ish internals")

    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/teapot")
    error = _envelope(r, 418, "http_error")
    assert error["message"] == "short and stout" and r.headers["x-why"] == "tea"
    error = _envelope(client.get("/structured"), 400, "bad_request")
    assert error["detail"] == {"info": {"field": "x"}}
    r = client.get("/bug")
    error = _envelope(r, 500, "internal")
    assert "internals" not in r.text
