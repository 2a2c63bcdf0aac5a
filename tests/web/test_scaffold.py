"""The shared web scaffolding (reception/server/web): headers, the stylesheet, the page frame, in a real browser."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reception.server.web import CSP
from tests.sync.conftest import Env


@pytest.mark.parametrize("server_db_url", ["sqlite"], indirect=True)
def test_security_headers_on_pages_api_and_static(web_env: Env) -> None:
    base = web_env.server.url
    page = httpx.get(f"{base}/query")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for answer in (page, httpx.get(f"{base}/static/web.css"), httpx.get(f"{base}/openapi.json")):
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in CSP and "unsafe-inline" not in CSP and "script-src" not in CSP
    assert page.headers["cache-control"] == "no-store"
    # the API's documentation page loads Swagger UI from its CDN: no CSP there, the other headers still
    docs = httpx.get(f"{base}/docs")
    assert "content-security-policy" not in docs.headers and docs.headers["x-content-type-options"] == "nosniff"
    # the web pages are not part of the sync API's description
    assert not any(p.startswith(("/query", "/q/")) for p in httpx.get(f"{base}/openapi.json").json()["paths"])


@pytest.mark.parametrize("server_db_url", ["sqlite"], indirect=True)
def test_page_loads_nothing_from_elsewhere_and_violates_no_csp(web_env: Env, new_page: Any) -> None:
    page = new_page("phone")
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(f"{web_env.server.url}/query")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # the stylesheet applied (the header's background from web.css), fonts from the system
    header_bg = page.eval_on_selector("header.site", "e => getComputedStyle(e).backgroundColor")
    assert header_bg == "rgb(11, 79, 156)"
    assert all(u.startswith(web_env.server.url) for u in requests), requests
    assert not problems, problems
