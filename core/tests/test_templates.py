"""Shared template partials live once: no two templates in the project are copies of each other (three identical
form-fields partials were kept in step by hand before core/_fields.html)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from django.conf import settings


def test_no_two_templates_are_identical_copies() -> None:
    roots = [Path(settings.BASE_DIR) / "templates"]
    roots += [p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in p.parts]
    by_content: dict[str, list[str]] = defaultdict(list)
    for root in roots:
        for path in root.rglob("*.html"):
            by_content[hashlib.sha256(path.read_bytes()).hexdigest()].append(str(path.relative_to(settings.BASE_DIR)))
    copies = [sorted(paths) for paths in by_content.values() if len(paths) > 1]
    assert not copies, f"identical templates, keep one shared partial instead: {copies}"


def test_every_form_page_uses_the_one_fields_partial() -> None:
    templates = Path(settings.BASE_DIR) / "templates"
    stray = [str(p.relative_to(templates)) for p in templates.rglob("_fields*.html") if p.parent.name != "core"]
    assert not stray, stray
    users = [p for p in templates.rglob("*.html") if "core/_fields.html" in p.read_text()]
    assert len(users) >= 19


def test_the_pagination_partial_keeps_filters_and_says_where_the_reader_is() -> None:
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string

    page = Paginator(list(range(75)), 20).page(2)
    html = render_to_string("core/_pagination.html", {"page": page, "querystring": "q=ann&unit=3"})
    assert 'aria-label="Pages"' in html
    assert 'href="?q=ann&amp;unit=3&page=1">Previous</a>' in html
    assert 'href="?q=ann&amp;unit=3&page=3">Next</a>' in html
    assert "Page 2 of 4" in html
    html = render_to_string("core/_pagination.html", {"page": page, "prev": "Newer", "next": "Older",
                                                      "items": "Problems", "label": "Pages of problems"})
    assert 'href="?page=1">Newer</a>' in html
    assert 'href="?page=3">Older</a>' in html
    assert "Problems 21\N{EN DASH}40 of 75" in html
    assert 'aria-label="Pages of problems"' in html
    assert "<nav" not in render_to_string("core/_pagination.html", {"page": Paginator([1], 20).page(1)})  # one page
