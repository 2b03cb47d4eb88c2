"""Pages of the development app: plans, mastery evidence and its review, completions imports, learning records.

Thin: each view parses input, calls one selector or service, and renders. Scope and standing come from
development.selectors / development.permissions; anything outside them is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.forms import apply_errors
from development import selectors, services
from development.forms import (
    AddModuleForm,
    CheckInForm,
    CompletionImportForm,
    DueDateForm,
    EvidenceForm,
    ReviewForm,
)
from development.models import MasteryEvidence, PlanModule
from people.models import Person
from people.scoping import scope_for
from training.models import Competency, Course


def index(request: HttpRequest) -> HttpResponse:
    """Development home: your own plan, the plans you hold others to, and what waits for your review."""
    scope = scope_for(request.user)
    me = selectors.own_plan_manager(user=request.user)
    rows = selectors.plans_overview(user=request.user)
    if me is None and not rows and not scope.is_hr:
        raise Http404
    queue = selectors.review_queue(user=request.user)
    return render(request, "development/index.html", {
        "page_title": "Development",
        "me": me,
        "rows": rows,
        "queue_count": len(queue),
        "is_hr": scope.is_hr,
    })


def _plan_context(request: HttpRequest, manager: Person, relation: str) -> dict[str, Any]:
    view = selectors.plan_view(user=request.user, manager=manager, relation=relation,
                               plan=services.plan_open(manager=manager))
    return {
        "page_title": f"Development plan: {manager.full_name}",
        "view": view,
        "manager": manager,
        "plan": view.plan,
        "add_form": AddModuleForm(courses=selectors.addable_courses(plan=view.plan)) if view.can_manage else None,
        "check_in_form": CheckInForm() if view.can_manage else None,
    }


def plan(request: HttpRequest, person_id: int) -> HttpResponse:
    """A manager's development plan: fundamentals, modules their team's gaps call for (and why), mastery.

    Opening it re-reads the team's coaching needs when the last read is older than a quarter of an hour."""
    manager, relation = selectors.plan_manager(user=request.user, manager_id=person_id)
    services.plan_refresh(user=request.user, manager=manager)
    return render(request, "development/plan.html", _plan_context(request, manager, relation))


@require_POST
def plan_refresh(request: HttpRequest, person_id: int) -> HttpResponse:
    manager, _ = selectors.plan_manager(user=request.user, manager_id=person_id)
    result = services.plan_refresh(user=request.user, manager=manager, force=True)
    if result.needs is not None and not result.needs.available:
        messages.warning(request, result.needs.note)
    elif result.added:
        messages.success(request, f"{len(result.added)} module(s) newly recommended from the team's needs.")
    else:
        messages.success(request, "Recommendations are up to date with the team's needs.")
    return redirect("development:plan", person_id=manager.pk)


def _modules_response(request: HttpRequest, manager: Person, relation: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "development/_modules.html", _plan_context(request, manager, relation))
    return redirect("development:plan", person_id=manager.pk)


@require_POST
def module_due(request: HttpRequest, person_id: int, module_id: int) -> HttpResponse:
    manager, relation = selectors.plan_manager(user=request.user, manager_id=person_id)
    module = get_object_or_404(PlanModule.objects.select_related("plan__manager", "course"),
                               pk=module_id, plan__manager=manager)
    form = DueDateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"due_on": "Give a date as YYYY-MM-DD."})
        services.plan_module_set_due(actor=request.user, module=module, due_on=form.cleaned_data["due_on"])
        messages.success(request, f"{module.course.title} is now due on {form.cleaned_data['due_on']:%d %b %Y}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    return _modules_response(request, manager, relation)


@require_POST
def module_add(request: HttpRequest, person_id: int) -> HttpResponse:
    manager, relation = selectors.plan_manager(user=request.user, manager_id=person_id)
    if relation not in ("leader", "hr"):
        raise Http404
    plan = services.plan_open(manager=manager)
    form = AddModuleForm(request.POST, courses=selectors.addable_courses(plan=plan))
    if form.is_valid():
        try:
            services.plan_module_add(actor=request.user, manager=manager, course=form.cleaned_data["course"],
                                     due_on=form.cleaned_data["due_on"])
            messages.success(request, f"{form.cleaned_data['course'].title} added to the plan.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose a course and a due date.")
    return redirect("development:plan", person_id=manager.pk)


@require_POST
def check_in(request: HttpRequest, person_id: int) -> HttpResponse:
    manager, relation = selectors.plan_manager(user=request.user, manager_id=person_id)
    if relation not in ("leader", "hr"):
        raise Http404
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.plan_check_in(actor=request.user, manager=manager, note=form.cleaned_data["note"])
            messages.success(request, "Check-in recorded.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Write what you discussed or agreed.")
    return redirect(reverse("development:plan", kwargs={"person_id": manager.pk}) + "#check-ins")


def evidence_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Submit evidence of mastery for a manager (themself, their leader or HR)."""
    manager, relation = selectors.plan_manager(user=request.user, manager_id=person_id)
    initial: dict[str, Any] = {}
    if request.method == "GET":
        competency = Competency.objects.filter(pk=request.GET.get("competency") or 0).first()
        course = Course.objects.filter(pk=request.GET.get("course") or 0).first()
        initial = {"competency": competency, "course": course}
    form = EvidenceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.evidence_submit(
                actor=request.user, manager=manager, competency=data["competency"], kind=data["kind"],
                summary=data["summary"], occurred_on=data["occurred_on"], score=data["score"],
                pass_mark=data["pass_mark"], course=data["course"], link=data["link"],
                attachment=data["attachment"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Evidence submitted for review.")
            return redirect("development:evidence", evidence_id=evidence.pk)
    return render(request, "development/evidence_form.html", {
        "page_title": f"Submit evidence: {manager.full_name}",
        "manager": manager,
        "relation": relation,
        "form": form,
        "evidence": None,
    })


def evidence_detail(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence, relation = selectors.evidence_detail(user=request.user, evidence_id=evidence_id)
    if relation == "self":
        services.evidence_decision_read(user=request.user, evidence=evidence)
    return render(request, "development/evidence.html", {
        "page_title": f"{evidence.get_kind_display()}: {evidence.competency.name}",
        "evidence": evidence,
        "relation": relation,
        "can_review": relation in ("leader", "hr"),
        "history": selectors.evidence_history(evidence=evidence),
        "review_form": ReviewForm(),
    })


@require_POST
def evidence_review(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """Start the review, accept, or send back. htmx swaps the review panel; without JS the page reloads."""
    evidence, relation = selectors.evidence_detail(user=request.user, evidence_id=evidence_id)
    form = ReviewForm(request.POST)
    error = ""
    if form.is_valid():
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
        try:
            if action == "start":
                evidence = services.evidence_start_review(actor=request.user, evidence=evidence)
            elif action == "accept":
                evidence = services.evidence_accept(actor=request.user, evidence=evidence, comment=comment)
            else:
                evidence = services.evidence_send_back(actor=request.user, evidence=evidence, comment=comment)
        except (ValidationError, PermissionDenied) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    else:
        error = "Choose what to do with this evidence."
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "development/_review_panel.html", {
            "evidence": evidence, "relation": relation, "can_review": relation in ("leader", "hr"),
            "review_form": form if error else ReviewForm(), "error": error,
        })  # 200 even with an error: htmx swaps only successful responses
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Evidence is now {evidence.get_status_display().lower()}.")
    return redirect("development:evidence", evidence_id=evidence.pk)


def evidence_resubmit(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence, relation = selectors.evidence_detail(user=request.user, evidence_id=evidence_id)
    if evidence.status != MasteryEvidence.Status.SENT_BACK:
        return redirect("development:evidence", evidence_id=evidence.pk)
    initial = {"summary": evidence.summary, "occurred_on": evidence.occurred_on, "score": evidence.score,
               "pass_mark": evidence.pass_mark, "link": evidence.link}
    form = EvidenceForm(request.POST or None, request.FILES or None, initial=initial, resubmission=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.evidence_resubmit(
                actor=request.user, evidence=evidence, summary=data["summary"], occurred_on=data["occurred_on"],
                score=data["score"], pass_mark=data["pass_mark"], link=data["link"],
                attachment=data["attachment"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Evidence resubmitted for review.")
            return redirect("development:evidence", evidence_id=evidence.pk)
    return render(request, "development/evidence_form.html", {
        "page_title": f"Resubmit evidence: {evidence.competency.name}",
        "manager": evidence.manager,
        "relation": relation,
        "form": form,
        "evidence": evidence,
    })


def evidence_attachment(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The attached file, to the people who may see the evidence (media files are never served publicly)."""
    evidence, _ = selectors.evidence_detail(user=request.user, evidence_id=evidence_id)
    if not evidence.attachment:
        raise Http404
    name = evidence.attachment.name.rsplit("/", 1)[-1]
    return FileResponse(evidence.attachment.open("rb"), as_attachment=True, filename=name)


def reviews(request: HttpRequest) -> HttpResponse:
    """Evidence waiting for the signed-in leader's or HR partner's sign-off."""
    queue = selectors.review_queue(user=request.user)
    return render(request, "development/reviews.html", {"page_title": "Evidence to review", "queue": queue})


def imports(request: HttpRequest) -> HttpResponse:
    """HR: upload another learning system's completions export; the history of imports."""
    history = selectors.completion_imports(user=request.user)  # 404 for anyone but HR and administrators
    form = CompletionImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = services.completions_import(
                actor=request.user, file_name=upload.name, content=upload.read(),
                source_system=form.cleaned_data["source_system"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if record.status == record.Status.APPLIED:
                messages.success(request, f"Imported: {record.created_count} new, {record.updated_count} updated, "
                                          f"{record.unchanged_count} unchanged.")
            else:
                messages.error(request, f"Nothing was imported: the file has {len(record.errors)} error(s).")
            return redirect("development:import_detail", import_id=record.pk)
    return render(request, "development/imports.html", {
        "page_title": "Completions from other learning systems",
        "form": form,
        "history": history[:50],
    })


def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    record = selectors.completion_import_detail(user=request.user, import_id=import_id)
    return render(request, "development/import_detail.html", {
        "page_title": f"Import of {record.file_name}", "record": record,
    })


def learning_records(request: HttpRequest) -> HttpResponse:
    """HR: where xAPI statements stand (waiting, stored by the LRS, gave up), and a resend."""
    summary = selectors.outbox_summary(user=request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "retry_failed":
            count = services.outbox_retry_failed(actor=request.user)
            messages.success(request, f"{count} statement(s) queued again.")
        elif action == "send_now":
            services.outbox_send_now(actor=request.user)
            messages.success(request, "Sending in the background; refresh in a moment.")
        return redirect("development:learning_records")
    return render(request, "development/learning_records.html", {
        "page_title": "Learning records (xAPI)", "summary": summary,
    })
