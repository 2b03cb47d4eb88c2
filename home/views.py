from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from home import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The signed-in person's starting page: what matters for each role they hold."""
    context = selectors.home_summary(user=request.user)
    return render(request, "home/home.html", {"page_title": "Home", **context})


@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "home/about.html", {"page_title": "About Promoted"})


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", {"page_title": "Form expired"}, status=403)
