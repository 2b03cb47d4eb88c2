from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from people import selectors
from people.forms import DirectoryFilterForm


def directory(request: HttpRequest) -> HttpResponse:
    """The people directory: search and filters over everyone the signed-in person may see."""
    form = DirectoryFilterForm(request.GET or None, regions=selectors.directory_facets(user=request.user)["regions"])
    filters = form.cleaned_filters()
    people = selectors.person_directory(user=request.user, **filters)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    context = {"page_title": "People", "form": form, "page": page, "querystring": form.querystring()}
    template = "people/_directory_results.html" if request.htmx else "people/directory.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def person(request: HttpRequest, person_id: int) -> HttpResponse:
    subject = selectors.person_detail(user=request.user, person_id=person_id)
    reports = selectors.direct_reports(user=request.user, person=subject)
    return render(
        request,
        "people/person.html",
        {"page_title": subject.full_name, "subject": subject, "reports": reports},
    )


def team(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's team: their reporting tree, as far down as the signed-in person may see."""
    leader = selectors.person_detail(user=request.user, person_id=person_id)
    show_inactive = request.GET.get("inactive") == "1"
    tree = selectors.reporting_tree(user=request.user, root=leader, include_inactive=show_inactive)
    summary = selectors.team_summary(user=request.user, root=leader)
    return render(
        request,
        "people/team.html",
        {
            "page_title": f"{leader.full_name}'s team",
            "leader": leader,
            "tree": tree,
            "summary": summary,
            "show_inactive": show_inactive,
        },
    )
