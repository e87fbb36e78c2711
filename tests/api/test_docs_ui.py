"""Swagger UI and ReDoc work with no network: their pages name only files this server
serves, and it serves them."""

from __future__ import annotations

import re

import pytest
from kervan.api import docs_ui

CONTENT_TYPES = {
    ".js": ("application/javascript", "text/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


def _assets(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


@pytest.mark.parametrize(
    ("page", "needs"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
def test_the_docs_pages_load_only_packaged_files_from_this_server(site, page, needs):
    r = site.client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "://" not in html, "the page names another host (a CDN, fonts, a validator)"
    assets = _assets(html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= needs
    for url in assets:
        assert url.startswith(docs_ui.STATIC_URL + "/"), url
        asset = site.client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], url
        assert len(asset.content) > 1000
    assert "/openapi.json" in html
    assert site.client.get("/openapi.json").status_code == 200


def test_swagger_ui_does_not_ask_swagger_io_to_validate_the_spec(site):
    assert "validatorUrl" in site.client.get("/docs").text
    assert '"validatorUrl": null' in site.client.get("/docs").text


def test_every_packaged_asset_is_installed_and_served(site):
    for name in docs_ui.ASSETS:
        assert (docs_ui.assets_dir() / name).is_file(), name
        r = site.client.get(f"{docs_ui.STATIC_URL}/{name}")
        assert r.status_code == 200, name


def test_the_oauth2_redirect_page_is_served(site):
    r = site.client.get(docs_ui.OAUTH2_REDIRECT_URL)
    assert r.status_code == 200 and "://" not in r.text
