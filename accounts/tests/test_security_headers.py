"""Pages carry a Content-Security-Policy that allows no inline script, and no template needs one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "api" / "templates"]
# A <script> element with something between its tags that runs: JSON data blocks are not scripts.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*type=[\"']application/(?:ld\+)?json)[^>]*>\s*[^<\s][\s\S]*?</script>",
                           re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(?:href|src|action)\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def _policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/login/"])
def test_pages_send_a_policy_without_inline_scripts(client, login, url):
    if url == "/":
        client = login("nora")
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_api_docs_page_also_has_the_policy(login):
    response = login("nora").get("/api/v1/docs")
    assert response.status_code == 200
    assert _policy(response)["script-src"] == ["'self'"]


def test_django_names_no_server(client, company):
    response = client.get("/accounts/login/")
    assert "Server" not in response.headers
    assert "X-Powered-By" not in response.headers


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    templates = [path for directory in TEMPLATE_DIRS for path in sorted(directory.rglob("*.html"))]
    assert len(templates) > 50
    for path in templates:
        text = path.read_text()
        for pattern, what in [(INLINE_SCRIPT, "inline <script>"), (EVENT_HANDLER, "inline event handler"),
                              (JAVASCRIPT_URL, "javascript: URL")]:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {what}")
    assert offenders == [], "Move these into static/js (the CSP blocks them):\n" + "\n".join(offenders)


def test_the_scan_catches_what_it_should():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">\n  go();\n</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/x.js"></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json" id="s">{"a": 1}</script>')
    assert EVENT_HANDLER.search('<select onchange="this.form.submit()">')
    assert EVENT_HANDLER.search("<a ONCLICK='x()'>")
    assert not EVENT_HANDLER.search('<select data-auto-submit name="only">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')
