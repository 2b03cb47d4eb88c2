"""Every page speaks to the people who use it: for several personas, a walk over every kind of page (tests.world.walk)
finds no statistician's or engineer's words in the text a person reads (issue 12, "Written for the people who use it").

Only the visible text counts: tags, their attributes, scripts and styles are stripped. Django's own admin pages and the
API documentation are for administrators and developers and are not checked. The detail behind the figures may still
be one click away: the body of a <details> ("About these figures") may use the statistician's words, never the
engineer's. A form field's own value (a <textarea>) is the person's text, not the product's.
O*NET may be named on the About page (its attribution) and in the short credit line shown with task descriptions.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD
from tests.world import populate, walk

# An administrator, HR, a VP, a sales manager, a seller: between them every kind of page.
READERS = ["admin", "hana", "vera", "nora", "sam"]

NOT_CHECKED = ("/admin/", "/api/")
ONET_ALLOWED_PAGES = ("/about/",)
ONET_CREDIT = "Task descriptions adapted from O*NET, CC BY 4.0"

# A file's column names (employee_id) are what the person must type in the file's header: shown as <code>, they are
# exempt from the code-name rule, and only from that one.
CODE_START, CODE_END = "\x02", "\x03"
IN_CODE = re.compile(f"{CODE_START}[^{CODE_END}]*{CODE_END}")
CODE_NAME = "a code name (snake_case slug)"

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "statistician's 'SD'": re.compile(r"\bSD\b"),
    "statistician's 'prior'": re.compile(r"\bpriors?\b", re.IGNORECASE),
    "statistician's 'blend'": re.compile(r"\bblend(?:s|ed|ing)?\b", re.IGNORECASE),
    "'O*NET' outside its credit line": re.compile(r"O\*NET"),
    CODE_NAME: re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a command ('manage.py')": re.compile(r"manage\.py"),
    "a developer document (docs/...md)": re.compile(r"\bdocs/\S+\.md\b"),
    "an environment variable name": re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b"),
    "a 'demo:' label": re.compile(r"^\s*demo:", re.IGNORECASE | re.MULTILINE),
    "grammar: '1 people'": re.compile(r"\b1 people\b"),
    "grammar: 'seat confirmed'": re.compile(r"\bseat confirmed\b", re.IGNORECASE),
    "nested brackets": re.compile(r"\([^()]*\("),
}
# Allowed in the closed body of a <details>: the detail one click away for those who want it.
STATISTICIANS = {"statistician's 'SD'", "statistician's 'prior'", "statistician's 'blend'",
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
            match = pattern.search(IN_CODE.sub("", checked) if what == CODE_NAME else plain)
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
    # The detail one click away may name the prior; its summary, and the engineer's text anywhere, may not.
    details = "<details><summary>About these figures</summary><p>Shrunk toward the prior (SD 1).</p></details>"
    assert language_problems("/x/", details) == []
    assert language_problems("/x/", "<details><summary>The prior</summary></details>") != []
    assert language_problems("/x/", "<details><summary>More</summary><p>Run manage.py x.</p></details>") != []


@pytest.fixture
def world(company: Any, tmp_path: Path, settings: Any) -> Any:
    populate(company, tmp_path, settings)
    return company


def test_no_page_shows_jargon_or_engineers_text(world: Any) -> None:
    problems: list[str] = []
    checked = 0
    for who in READERS:
        client = Client()
        assert client.login(email=world.user(who).email, password=DEFAULT_PASSWORD)
        result = walk(client, per_kind=2)
        for url, html in result.html.items():
            if url.startswith(NOT_CHECKED):
                continue
            checked += 1
            problems += [f"{who} {line}" for line in language_problems(url, html)]
    assert checked > 30, checked
    unique = sorted(set(problems))
    assert unique == [], f"{len(unique)} problems:\n" + "\n".join(unique)
