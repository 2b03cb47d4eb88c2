"""A fuller world around the persona company, for tests that walk every page: a CRM with one succeeded analysis,
the training program with its sessions and enrolments, and development evidence waiting for review and accepted.

Used by the link walk (tests/test_link_walk.py) and the browser tests that check every page (tests/e2e).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from development.models import MasteryEvidence
from insights import services as insights_services
from insights.library import install_defaults
from insights.models import AnalysisRun, SellingTask
from insights.tests.conftest import people_for, small_company, write_store
from training import services as training_services
from training.curriculum import default_curriculum_install
from training.models import Competency
from training.tests.conftest import make_program

# The personas of the `company` fixture that sign in (Lou has left; every other one has a user).
PERSONAS = ["admin", "hana", "vera", "dirk", "nora", "mick", "sam", "sara", "sid", "otto", "eve"]


def populate(company: Any, tmp_path: Path, settings: Any) -> None:
    """Give the persona company an analysed CRM, a training program and development evidence."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    # Transactional tests flush what the data migrations installed: put the library and curriculum back.
    install_defaults(SellingTask)
    default_curriculum_install(apps)
    crm = small_company()
    settings.ANALYTICS_URL = write_store(crm, tmp_path / "analytics.duckdb")
    people_for(company, crm)
    run = insights_services.analysis_run_now(actor=None, reason="link walk")
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error

    make_program()
    today = timezone.localdate()
    company.nora.manager_since = today - dt.timedelta(days=100)
    company.nora.save(update_fields=["manager_since"])
    training_services.enrolment_rules_apply(today=today)

    now = timezone.now()
    competencies = list(Competency.objects.order_by("pk")[:2])
    for competency, status in zip(competencies, [MasteryEvidence.Status.SUBMITTED, MasteryEvidence.Status.ACCEPTED],
                                  strict=False):
        MasteryEvidence.objects.create(
            manager=company.nora, competency=competency, kind="observed_demonstration",
            summary="Ran a coaching conversation on discovery with Sam, observed on a live call.",
            occurred_on=today - dt.timedelta(days=2), status=status, submitted_by=company.user("nora"),
            submitted_at=now, decided_at=now if status == MasteryEvidence.Status.ACCEPTED else None,
        )


# --- Links ------------------------------------------------------------------------------------------------------

# Never followed: signing out ends the walk, and the admin's own sign-out and password pages are not ours.
SKIPPED_PATHS = ("/accounts/logout/", "/admin/logout/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def same_site_links(html: str, page_url: str) -> Iterator[str]:
    """The same-site URLs (path and query, no fragment) of every <a href> on a page."""
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        url, _ = urldefrag(urljoin(page_url, href.strip()))
        parts = urlsplit(url)
        if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != "testserver"):
            continue
        if not parts.path or parts.path.startswith(SKIPPED_PATHS):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def page_kind(url: str) -> str:
    """What kind of page a URL opens: its route name, and the names of its query parameters."""
    parts = urlsplit(url)
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        name = parts.path
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return name + ("?" + "&".join(keys) if keys else "")


@dataclass
class Walk:
    opened: dict[str, int] = field(default_factory=dict)  # url -> status
    broken: list[str] = field(default_factory=list)  # "status url (linked from page)"
    pages: list[str] = field(default_factory=list)  # the HTML pages that opened (200), in the order opened
    html: dict[str, str] = field(default_factory=dict)  # url -> the HTML of each page in `pages`


def walk(client: Client, start: str = "/", *, per_kind: int = 3, max_pages: int = 300) -> Walk:
    """Open every same-site link breadth-first from `start`, at most `per_kind` of one kind and `max_pages` in all.
    A 404 or a server error is recorded with the page that linked it, and not followed further."""
    result = Walk()
    queue: deque[tuple[str, str]] = deque([(start, "(start)")])
    seen = {start}
    kinds: Counter[str] = Counter()
    while queue and len(result.opened) < max_pages:
        url, linked_from = queue.popleft()
        kind = page_kind(url)
        if kinds[kind] >= per_kind:
            continue
        kinds[kind] += 1
        response = client.get(url)
        result.opened[url] = response.status_code
        if response.status_code == 404 or response.status_code >= 500:
            result.broken.append(f"{response.status_code} {url} (linked from {linked_from})")
            continue
        targets: list[str] = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [response["Location"]]
        elif response.get("Content-Type", "").startswith("text/html"):
            content = response.content.decode()
            targets = list(same_site_links(content, url))
            if response.status_code == 200:
                result.pages.append(url)
                result.html[url] = content
        if url.startswith("/admin/"):
            continue  # Django's own admin pages: opened when linked, their own links are Django's
        for target in targets:
            if target not in seen:
                seen.add(target)
                queue.append((target, url))
    return result
