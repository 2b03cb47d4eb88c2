"""Every page speaks to the people who use it: for several personas, a walk over every kind of page (tests.world.walk)
finds no statistician's or engineer's words in the text a person reads (issue 12, "Written for the people who use it").

Only the visible text counts: tags, their attributes, scripts and styles are stripped. Django's own admin pages and the
API documentation are for administrators and developers and are not checked. The detail behind the figures may still
be one click away: the body of a <details> ("About these figures") may use the statistician's words, never the
engineer's. A form field's own value (a <textarea>) is the person's text, not the product's.
O*NET may be named on the About page (its attribution) and in the short credit line shown with task descriptions.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views.defaults import permission_denied, server_error

from crm.importing import run_import as crm_import
from crm.models import CrmImport
from home.management.commands.demo import MIN_SELLERS
from home.tests.test_demo_command import printed_logins
from people.models import PeopleImport
from people.tests.fixtures.hr_files import FIXTURES, run_import
from tests.factories import DEFAULT_PASSWORD
from tests.world import populate, walk
from training.models import Booking, Enrolment

# An administrator, HR, a VP, a sales manager, a seller: between them every kind of page.
READERS = ["admin", "hana", "vera", "nora", "sam"]

NOT_CHECKED = ("/admin/", "/api/")
ONET_ALLOWED_PAGES = ("/about/",)
ONET_CREDIT = "Task descriptions adapted from O*NET, CC BY 4.0"

# A file's column names (employee_id) are what the person must type in the file's header: shown as <code>, they are
# exempt from the code-name rule, and only from that one.
CODE_START, CODE_END = "\x02", "\x03"
IN_CODE = re.compile(f"{CODE_START}[^{CODE_END}]*{CODE_END}")
# A file's name is the person's own (the file they uploaded): exempt from the code-name rule too.
FILE_NAME = re.compile(r"\S+\.(?:csv|zip|xlsx|json|txt)\b", re.IGNORECASE)
CODE_NAME = "a code name (snake_case slug)"

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "statistician's 'SD'": re.compile(r"\bSD\b"),
    "statistician's 'prior'": re.compile(r"\bpriors?\b", re.IGNORECASE),
    "statistician's 'blend'": re.compile(r"\bblend(?:s|ed|ing)?\b", re.IGNORECASE),
    "statistician's 'standard deviations'": re.compile(r"\bstandard deviations?\b", re.IGNORECASE),
    "statistician's '95% CI'": re.compile(r"\bCIs?\b|\bconfidence intervals?\b", re.IGNORECASE),
    "'O*NET' outside its credit line": re.compile(r"O\*NET"),
    CODE_NAME: re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a command ('manage.py')": re.compile(r"manage\.py"),
    "a developer document (docs/...md)": re.compile(r"\bdocs/\S+\.md\b"),
    "an environment variable name": re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b"),
    "a 'demo:' label": re.compile(r"^\s*demo:", re.IGNORECASE | re.MULTILINE),
    "grammar: '1 people'": re.compile(r"\b1 people\b"),
    "grammar: 'seat confirmed'": re.compile(r"\b(?:am|are|is|was|were) seat confirmed\b", re.IGNORECASE),
    "nested brackets": re.compile(r"\([^()]*\("),
}
# Allowed in the closed body of a <details>: the detail one click away for those who want it.
STATISTICIANS = {"statistician's 'SD'", "statistician's 'prior'", "statistician's 'blend'",
                 "statistician's 'standard deviations'", "statistician's '95% CI'",
                 "'O*NET' outside its credit line", "nested brackets"}


INLINE = {"a", "abbr", "b", "code", "em", "i", "kbd", "label", "mark", "q", "s", "small", "span", "strong", "sub",
          "sup", "time", "u", "var"}


class _VisibleText(HTMLParser):
    """The text a reader sees, line by line: character data outside <script>, <style>, <template> and <textarea> (a
    form field's value is the person's own text); a block tag starts a line. Each line knows whether it is inside the
    closed body of a <details> (past its <summary>): the detail one click away."""

    HIDDEN = {"script", "style", "template", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth_hidden = 0
        self.depth_details = 0
        self.in_summary = False
        self.lines: list[tuple[list[str], bool]] = []
        self._new_line()

    def _new_line(self) -> None:
        self.lines.append(([], self.depth_details > 0 and not self.in_summary))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.depth_hidden += 1
        self.depth_details += tag == "details"
        self.in_summary = self.in_summary or tag == "summary"
        if tag == "code":
            self.lines[-1][0].append(CODE_START)
        elif tag not in INLINE:
            self._new_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth_hidden:
            self.depth_hidden -= 1
        if tag == "details" and self.depth_details:
            self.depth_details -= 1
        if tag == "summary":
            self.in_summary = False
        if tag == "code":
            self.lines[-1][0].append(CODE_END)
        elif tag not in INLINE:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if not self.depth_hidden:
            self.lines[-1][0].append(data.replace("\n", " "))


def visible_lines(html: str) -> list[tuple[str, bool]]:
    """The visible text of a page, one line per block of text with whitespace collapsed, and whether the line is
    in a <details> body."""
    parser = _VisibleText()
    parser.feed(html)
    lines = [(re.sub(r"\s+", " ", "".join(parts)).strip(), in_detail) for parts, in_detail in parser.lines]
    return [(line, in_detail) for line, in_detail in lines if line.replace(CODE_START, "").replace(CODE_END, "")]


def language_problems(url: str, html: str) -> list[str]:
    """Each forbidden word on one page: '<url>: <what> in "<snippet>"'. A <details> body may use the statistician's
    words (it is the detail for those who want it); the engineer's text is forbidden everywhere."""
    problems: list[str] = []
    for line, in_detail in visible_lines(html):
        checked = line.replace(ONET_CREDIT, "") if not url.startswith(ONET_ALLOWED_PAGES) else line.replace(
            "O*NET", "")
        plain = checked.replace(CODE_START, "").replace(CODE_END, "")
        for what, pattern in FORBIDDEN.items():
            if in_detail and what in STATISTICIANS:
                continue
            match = pattern.search(FILE_NAME.sub("", IN_CODE.sub("", checked)) if what == CODE_NAME else plain)
            if match:
                start = max(match.start() - 50, 0)
                problems.append(f"{url}: {what} in \"{plain[start:match.end() + 50]}\"")
    return problems


def test_the_checker_finds_jargon_in_visible_text_and_ignores_markup() -> None:
    page = (
        '<p class="activity_volume">Weights blend the <b>prior</b> with data (SD 0.4).</p>'
        "<script>var activity_volume = 1;</script><p>1 <i>people</i> behind; run manage.py import_hr.</p>"
        "<p>Task descriptions adapted from O*NET, CC BY 4.0.</p><p>See docs/config.md, set SECURE_SSL_REDIRECT.</p>"
    )
    found = "\n".join(language_problems("/x/", page))
    for what in ("'blend'", "'prior'", "'SD'", "'1 people'", "'manage.py'", "docs/...md", "environment variable",
                 "snake_case"):
        assert what in found, (what, found)
    assert "O*NET" not in found  # the credit line is allowed
    assert "class=" not in found  # attributes are not page text
    assert "var " not in found  # nor are scripts
    assert language_problems("/x/", "<p>Sam is 2 deals behind (about 3 weeks).</p>") == []
    # A file's column name shown as code is allowed; an environment variable is not, code or not.
    assert language_problems("/x/", "<p>Column <code>employee_id</code>: required.</p>") == []
    assert "environment variable" in "".join(language_problems("/x/", "<p>Set <code>LRS_URL</code>.</p>"))
    # The name of a file someone uploaded is theirs; a status label is not the grammar slip 'You are seat confirmed'.
    assert language_problems("/x/", "<p>Import of legacy_lms_completions.csv</p><p>Seat confirmed, 3 Dec</p>") == []
    assert "seat confirmed" in "".join(language_problems("/x/", "<p>You are seat confirmed.</p>"))
    for jargon in ("0.3 standard deviations higher", "Data's estimate (95% CI)"):
        assert language_problems("/x/", f"<p>{jargon}</p>") != [], jargon
    # The detail one click away may name the prior; its summary, and the engineer's text anywhere, may not.
    details = "<details><summary>About these figures</summary><p>Shrunk toward the prior (SD 1).</p></details>"
    assert language_problems("/x/", details) == []
    assert language_problems("/x/", "<details><summary>The prior</summary></details>") != []
    assert language_problems("/x/", "<details><summary>More</summary><p>Run manage.py x.</p></details>") != []


@dataclass
class SpecialStates:
    """Pages in states a walk of a healthy world may not reach: who opens them, and where."""

    pages: list[tuple[str, str]]  # (persona, url)


@pytest.fixture
def world(company: Any, tmp_path: Path, settings: Any) -> Any:
    populate(company, tmp_path, settings)
    return company


def special_states(company: Any, tmp_path: Path) -> SpecialStates:
    """An HR file and a CRM export refused by their importers, and a session that is full with someone on its
    waitlist."""
    refused = run_import(FIXTURES.joinpath("people_broken.csv").read_bytes(), actor=company.user("hana"))
    assert refused.status == PeopleImport.Status.FAILED, refused.status
    calls = tmp_path / "calls.csv"
    calls.write_text("Record ID,Activity date,Call owner,Call duration\n1,2026-01-10 10:00,x,1000\n"
                     "2,yesterday,x,ten\n")
    crm_refused = crm_import(source="hubspot", paths=[calls], actor=company.user("admin"))
    assert crm_refused.status == CrmImport.Status.FAILED, crm_refused.status
    booking = Booking.objects.filter(person=company.nora, status=Booking.Status.CONFIRMED).select_related(
        "session", "enrolment").first()
    assert booking is not None, "populate() books Nora into her first session"
    session = booking.session
    session.capacity = Booking.objects.filter(session=session, status=Booking.Status.CONFIRMED).count()
    session.save(update_fields=["capacity"])
    today = timezone.localdate()
    waiting = Enrolment.objects.create(person=company.mick, course=booking.enrolment.course, enrolled_on=today,
                                       due_on=today + dt.timedelta(days=90))
    Booking.objects.create(session=session, enrolment=waiting, person=company.mick,
                           status=Booking.Status.WAITLISTED)
    return SpecialStates(pages=[
        ("admin", f"/crm/imports/{crm_refused.pk}/"), ("admin", "/crm/imports/"),
        ("hana", f"/imports/people/{refused.pk}/"), ("hana", "/imports/people/"),
        ("hana", f"/training/sessions/{session.pk}/"), ("mick", f"/training/sessions/{session.pk}/"),
        ("mick", "/training/me/"), ("nora", "/training/me/"),
    ])


def problems_of(who: str, pages: dict[str, str]) -> tuple[int, list[str]]:
    """(pages checked, the problems found on them) for pages one persona opened."""
    checked, problems = 0, []
    for url, html in pages.items():
        if url.startswith(NOT_CHECKED):
            continue
        checked += 1
        problems += [f"{who} {line}" for line in language_problems(url, html)]
    return checked, problems


def signed_in(email: str, password: str = DEFAULT_PASSWORD) -> Client:
    client = Client()
    assert client.login(email=email, password=password)
    return client


def assert_plain(problems: list[str]) -> None:
    unique = sorted(set(problems))
    assert unique == [], f"{len(unique)} problems:\n" + "\n".join(unique)


def test_no_page_shows_jargon_or_engineers_text(world: Any, tmp_path: Path) -> None:
    states = special_states(world, tmp_path)
    problems: list[str] = []
    checked = 0
    for who in READERS:
        n, found = problems_of(who, walk(signed_in(world.user(who).email), per_kind=2).html)
        checked, problems = checked + n, problems + found
    # The states the walk may miss, opened on purpose: a refused import, a full session with a waitlist.
    for who, url in states.pages:
        response = signed_in(world.user(who).email).get(url)
        assert response.status_code == 200, (who, url)
        problems += problems_of(who, {url: response.content.decode()})[1]
    assert checked > 30, checked
    assert_plain(problems)


def test_pages_with_nothing_in_them_yet_speak_plainly(company: Any, settings: Any) -> None:
    """A company just imported: no analysis yet, no training program, no evidence; every list is empty."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    problems: list[str] = []
    checked = 0
    for who in READERS:
        n, found = problems_of(who, walk(signed_in(company.user(who).email), per_kind=1).html)
        checked, problems = checked + n, problems + found
    assert checked > 20, checked
    assert_plain(problems)


def test_error_pages_speak_plainly(company: Any) -> None:
    nora = signed_in(company.user("nora").email)
    pages: dict[str, str] = {}
    for who, client in (("nora", nora), ("anonymous", Client())):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        pages[f"404 for {who}"] = response.content.decode()
    # A form posted without its security token: the CSRF failure page.
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    pages["CSRF failure"] = response.content.decode()
    request = RequestFactory().get("/somewhere/")
    request.user = company.user("nora")
    pages["403"] = permission_denied(request, PermissionDenied()).content.decode()
    pages["500"] = server_error(request).content.decode()
    assert "Not allowed" in pages["403"]
    assert "Something went wrong" in pages["500"]
    assert_plain([line for name, html in pages.items() for line in language_problems(name, html)])


@pytest.mark.django_db
def test_the_demo_company_speaks_plainly(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo as `bin/demo` builds it (every step, at its smallest size), walked by every printed login."""
    settings.DATA_DIR = tmp_path
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("demo", sellers=MIN_SELLERS, stdout=out)
    logins = printed_logins(out.getvalue())
    assert len(logins) == 7, logins
    problems: list[str] = []
    checked = 0
    for role, login in logins.items():
        n, found = problems_of(role, walk(signed_in(login["email"], login["password"]), per_kind=1).html)
        checked, problems = checked + n, problems + found
    assert checked > 30, checked
    assert_plain(problems)
