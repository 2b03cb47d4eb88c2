"""No route answers 500 for an id, and no `next` sends anyone off the site."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from core.converters import IdConverter
from core.http import safe_next

HUGE_IDS = ["9223372036854775808", "99999999999999999999999999", "0"]


def _id_routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    """Every route (as a path template) whose URL holds at least one id."""
    found: list[str] = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_id_routes(entry.url_patterns, route))
        elif "<" in route:
            found.append(route)
    return found


def test_every_id_in_a_url_uses_the_bounded_id_converter() -> None:
    # The API's routes are django-ninja's; their ids are bounded by the API's own parameter types.
    unbounded = [r for r in _id_routes(get_resolver().url_patterns) if "<int:" in r and not r.startswith("api/")]
    assert unbounded == []
    assert IdConverter().to_python("9223372036854775807") == 2**63 - 1
    with pytest.raises(ValueError, match="9223372036854775808"):
        IdConverter().to_python("9223372036854775808")


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_no_page_answers_a_server_error_for_an_out_of_range_id(client, company, huge) -> None:
    client.force_login(company.admin)
    routes = [r for r in _id_routes(get_resolver().url_patterns) if "<id:" in r and not r.startswith("^")]
    assert routes
    for route in routes:
        path = "/" + re.sub(r"<id:[a-z_]+>", huge, route)
        path = re.sub(r"<[a-z]+:[a-z_]+>|<[a-z_]+>", "x", path)
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code < 500, (route, response.status_code)


@pytest.mark.parametrize(
    "target", ["https://evil.example/phish", "//evil.example", "javascript:alert(1)", "\\\\evil.example",
               "http:///evil.example"],
)
def test_next_never_leaves_the_site(target: str) -> None:
    request = RequestFactory().post("/training/notices/1/read/", {"next": target})
    response = safe_next(request, "/training/")
    assert response.status_code == 302
    assert response["Location"] == "/training/"


def test_next_on_the_site_is_followed() -> None:
    request = RequestFactory().post("/x/", {"next": "/insights/?tab=team"})
    assert safe_next(request, "/training/")["Location"] == "/insights/?tab=team"
