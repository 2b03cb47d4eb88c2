"""Pages of the bottom-up engine: thin doors into insights.selectors (reads) and insights.services (writes)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from insights import charts, selectors, services
from insights.forms import (
    ConditionFormSet,
    RunForm,
    SellerPlacementForm,
    SituationEditForm,
    SituationRuleForm,
    TaskForm,
    WeightOverrideForm,
    conditions_from,
)
from insights.models import Situation
from people.scoping import scope_for


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _run_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "run": selectors.latest_run(),
        "in_progress": selectors.run_in_progress(),
        "can_run": selectors.can_run_analysis(request.user),
        "can_review": selectors.can_review_profiles(request.user),
    }


# --- entry points --------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """/insights/: the situations for those who review them, a seller's own diagnostic for sellers."""
    if selectors.can_view_situations(request.user):
        return redirect("insights:situations")
    return me(request)


def me(request: HttpRequest) -> HttpResponse:
    """The signed-in seller's own diagnostic."""
    person_id = scope_for(request.user).person_id
    if person_id is None:
        raise Http404
    return redirect("insights:seller", person_id=person_id)


def my_team(request: HttpRequest) -> HttpResponse:
    """The signed-in manager's team view."""
    person_id = scope_for(request.user).person_id
    if person_id is None or not selectors.can_view_teams(request.user):
        raise Http404
    return redirect("insights:manager", person_id=person_id)


# --- situations ------------------------------------------------------------------------------------------------


def situations(request: HttpRequest) -> HttpResponse:
    """Every situation of the latest analysis with its critical tasks."""
    context = _run_context(request)
    if not selectors.can_view_situations(request.user):
        raise Http404
    run = context["run"]
    cards = selectors.situation_cards(user=request.user, run=run) if run else []
    return render(request, "insights/situations.html", {
        "page_title": "Situations", "cards": cards, "run_form": RunForm(), **context,
    })


def situation(request: HttpRequest, situation_id: int) -> HttpResponse:
    """One situation's critical-task profile with the evidence behind each weight."""
    context = _run_context(request)
    run = context["run"]
    if run is None:
        raise Http404
    profile = selectors.situation_profile(user=request.user, run=run, situation_id=situation_id)
    bars = [
        charts.ProfileBar(
            label=row.evidence.task.name, weight=row.evidence.weight, prior=row.evidence.prior_weight,
            ci_low=row.evidence.ci_low, ci_high=row.evidence.ci_high, effect=row.evidence.effect,
            critical=row.evidence.is_critical, available=row.evidence.available,
            overridden=row.evidence.driven_by == "override",
        )
        for row in profile.rows
    ]
    chart = charts.profile_chart(bars, title=f"Task weights in {profile.situation.name}", chart_id="profile")
    strips = {
        row.evidence.task_id: charts.quartile_strip(
            row.evidence.bottom_quartile, row.evidence.median, row.evidence.top_quartile,
            label=f"{row.evidence.task.name}: bottom quartile {row.bottom_text}, median {row.median_text}, "
            f"top quartile {row.top_text}",
        )
        for row in profile.rows if not profile.hide_quartiles
    }
    return render(request, "insights/situation.html", {
        "page_title": profile.situation.name, "profile": profile, "chart": chart, "strips": strips,
        "override_forms": {row.evidence.task_id: _override_form(row.evidence.task_id) for row in profile.rows},
        **context,
    })


def _override_form(task_id: int, data: Any = None) -> WeightOverrideForm:
    return WeightOverrideForm(data, prefix=f"task{task_id}")


@require_POST
def weight_override(request: HttpRequest, situation_id: int, task_id: int) -> HttpResponse:
    """Override a task's weight in a situation (sales leaders, HR partners, administrators)."""
    situation_, task = selectors.task_for_override(user=request.user, situation_id=situation_id, task_id=task_id)
    form = _override_form(task.pk, request.POST)
    target = reverse("insights:situation", args=[situation_id]) + f"#task-{task_id}"
    if form.is_valid():
        try:
            services.task_weight_override_set(
                actor=request.user, situation=situation_, task=task,
                weight=None if form.cleaned_data["clear"] else form.cleaned_data["weight"],
                note=form.cleaned_data["note"],
            )
        except services.AnalysisError as error:
            form.add_error(None, str(error))
        else:
            if _htmx(request):
                current = services.weight_override_current(situation=situation_, task=task)
                return render(request, "insights/_override.html", {
                    "situation": situation_, "task": task, "current": current, "saved": True,
                    "override_form": _override_form(task.pk), "can_review": True,
                })
            messages.success(request, f"Override saved for {task.name}. A new analysis is queued so the profile "
                                      "and every seller's priorities reflect it.")
            return redirect(target)
    if _htmx(request):
        # 200, not 422: htmx swaps only successful responses, and the fragment shows the errors.
        current = services.weight_override_current(situation=situation_, task=task)
        return render(request, "insights/_override.html", {
            "situation": situation_, "task": task, "current": current, "override_form": form,
            "can_review": True,
        })
    for problems in form.errors.values():
        messages.error(request, " ".join(str(p) for p in problems))
    return redirect(target)


def situation_rules(request: HttpRequest) -> HttpResponse:
    """All situations (rule-defined and proposed), with a form to add a rule."""
    items = selectors.situations_for_rules(user=request.user)
    form = SituationRuleForm(request.POST or None)
    formset = ConditionFormSet(request.POST or None, prefix="c")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            created = services.situation_rule_save(
                actor=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                conditions=conditions_from(formset), priority=form.cleaned_data["priority"],
                is_active=form.cleaned_data["is_active"],
            )
        except services.AnalysisError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Situation “{created.name}” saved. It applies from the next analysis.")
            return redirect("insights:situation_rules")
    return render(request, "insights/situation_rules.html", {
        "page_title": "Situation definitions", "situations_list": items, "form": form, "formset": formset,
        "conditions_text": {s.pk: services.conditions_text(s.conditions) for s in items if s.conditions},
    }, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def situation_edit(request: HttpRequest, situation_id: int) -> HttpResponse:
    """Edit a situation: a rule's conditions, or a proposed situation's name and whether it is in use."""
    item = selectors.situation_for_edit(user=request.user, situation_id=situation_id)
    is_rule = item.kind == Situation.Kind.RULE
    if is_rule:
        form: Any = SituationRuleForm(request.POST or None, initial={
            "name": item.name, "description": item.description, "priority": item.priority,
            "is_active": item.is_active,
        })
        initial = [{"feature": c["feature"], "op": c["op"], "value": c["value"]} for c in item.conditions]
        formset = ConditionFormSet(request.POST or None, prefix="c", initial=initial)
    else:
        form = SituationEditForm(request.POST or None, initial={
            "name": item.name, "description": item.description, "is_active": item.is_active,
        })
        formset = None
    if request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid()):
        try:
            if is_rule:
                services.situation_rule_save(
                    actor=request.user, situation=item, name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"], conditions=conditions_from(formset),
                    priority=form.cleaned_data["priority"], is_active=form.cleaned_data["is_active"],
                )
            else:
                services.situation_update(
                    actor=request.user, situation=item, name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"], is_active=form.cleaned_data["is_active"],
                )
        except services.AnalysisError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Situation “{form.cleaned_data['name']}” saved. It applies from the next "
                                      "analysis.")
            return redirect("insights:situation_rules")
    return render(request, "insights/situation_edit.html", {
        "page_title": f"Edit {item.name}", "item": item, "form": form, "formset": formset,
    }, status=422 if request.method == "POST" else 200)


# --- sellers ----------------------------------------------------------------------------------------------------


def seller(request: HttpRequest, person_id: int) -> HttpResponse:
    """A seller's diagnostic: each critical task's value, standing, gap, and the top coaching priorities."""
    run = selectors.latest_run()
    view = selectors.seller_view(user=request.user, person_id=person_id, run=run)
    chart = None
    if view.rows:
        chart = charts.percentile_chart(
            [(r.gap.task.name, r.gap.percentile, r.gap.is_critical) for r in view.rows],
            title=f"{view.person.full_name}'s standing among situation peers", chart_id="standing",
        )
    trend = None
    if len(view.history) > 1:
        trend = charts.trend_chart(
            [(f"to {d.run.period_end:%b %Y}" if d.run.period_end else str(d.run_id), d.outcome_percentile)
             for d in view.history],
            title=f"{view.person.full_name}'s outcome percentile by analysis period", chart_id="trend",
        )
    can_place = selectors.can_review_profiles(request.user) and view.person.pk != scope_for(request.user).person_id
    return render(request, "insights/seller.html", {
        "page_title": f"{view.person.full_name}: diagnostic", "view": view, "chart": chart, "trend": trend,
        "run": run, "can_place": can_place,
        "placement_form": SellerPlacementForm(initial={"situation": view.placement.situation if view.placement
                                                       else None}) if can_place else None,
        "in_progress": selectors.run_in_progress(),
    })


@require_POST
def seller_placement(request: HttpRequest, person_id: int) -> HttpResponse:
    """Place a seller in a situation by hand, or back to automatic (sales leaders, HR, administrators)."""
    person = selectors.seller_person(user=request.user, person_id=person_id)
    if not selectors.can_review_profiles(request.user) or person.pk == scope_for(request.user).person_id:
        raise Http404
    form = SellerPlacementForm(request.POST)
    if form.is_valid():
        try:
            services.seller_situation_override_set(
                actor=request.user, seller=person, situation=form.cleaned_data["situation"],
                reason=form.cleaned_data["reason"],
            )
        except services.AnalysisError as error:
            messages.error(request, str(error))
        else:
            where = form.cleaned_data["situation"]
            messages.success(request, f"{person.full_name} will be placed in "
                                      f"{where.name if where else 'their automatic situation'} from the next "
                                      "analysis.")
    else:
        for problems in form.errors.values():
            messages.error(request, " ".join(str(p) for p in problems))
    return redirect("insights:seller", person_id=person.pk)


# --- managers -------------------------------------------------------------------------------------------------


def manager(request: HttpRequest, person_id: int) -> HttpResponse:
    """A manager's team view: each seller's top tasks and gaps, the team's needs, what the manager must coach."""
    run = selectors.latest_run()
    view = selectors.manager_team(user=request.user, person_id=person_id, run=run)
    return render(request, "insights/manager.html", {
        "page_title": f"{view.manager.full_name}'s {'organisation' if view.managers and not view.members else 'team'}",
        "view": view, "run": run,
        "in_progress": selectors.run_in_progress(), "is_self": view.manager.pk == scope_for(request.user).person_id,
    })


# --- gap map ----------------------------------------------------------------------------------------------------


def gaps(request: HttpRequest) -> HttpResponse:
    """The org-wide skill-gap map by region and by manager, and managers not yet equipped for their team."""
    run = selectors.latest_run()
    if not selectors.can_review_profiles(request.user):
        raise Http404
    gap_map = selectors.gap_map(user=request.user, run=run) if run else None
    return render(request, "insights/gaps.html", {
        "page_title": "Skill-gap map", "map": gap_map, "run": run, "in_progress": selectors.run_in_progress(),
    })


# --- task library ----------------------------------------------------------------------------------------------


def tasks(request: HttpRequest) -> HttpResponse:
    items = selectors.task_library(user=request.user)
    return render(request, "insights/tasks.html", {
        "page_title": "Task library", "tasks": items, "can_edit": selectors.can_edit_library(request.user),
        "metrics": selectors.metric_catalogue(),
    })


def task(request: HttpRequest, task_id: int) -> HttpResponse:
    detail = selectors.task_detail(user=request.user, task_id=task_id)
    return render(request, "insights/task.html", {
        "page_title": detail.task.name, "detail": detail, "can_edit": selectors.can_edit_library(request.user),
    })


@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    if not selectors.can_edit_library(request.user):
        raise Http404
    form = TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.selling_task_create(actor=request.user, key=form.cleaned_data["key"],
                                                   data=form.task_data())
        except services.AnalysisError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{created.name}” added to the library. It counts from the next analysis.")
            return redirect("insights:task", task_id=created.pk)
    return render(request, "insights/task_form.html", {"page_title": "Add a task", "form": form},
                  status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    if not selectors.can_edit_library(request.user):
        raise Http404
    item = selectors.task_detail(user=request.user, task_id=task_id).task
    form = TaskForm(request.POST or None, editing=True, initial=TaskForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        try:
            services.selling_task_update(actor=request.user, task=item, data=form.task_data())
        except services.AnalysisError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"“{item.name}” saved. It counts from the next analysis.")
            return redirect("insights:task", task_id=item.pk)
    return render(request, "insights/task_form.html", {"page_title": f"Edit {item.name}", "form": form,
                                                         "item": item},
                  status=422 if request.method == "POST" else 200)


# --- runs -------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    """Analysis runs, and the button that starts one (HR partners and administrators)."""
    items = selectors.run_list(user=request.user)
    form = RunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                run = services.analysis_enqueue(
                    actor=request.user, reason="on demand", period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                )
            except services.AnalysisError as error:
                form.add_error(None, str(error))
            else:
                if _htmx(request):
                    return render(request, "insights/_run_status.html", {"item": run})
                messages.success(request, "Analysis queued. This page shows its progress.")
                return redirect("insights:runs")
        return render(request, "insights/runs.html", {"page_title": "Analysis runs", "runs": items, "form": form},
                      status=422)
    return render(request, "insights/runs.html", {"page_title": "Analysis runs", "runs": items, "form": form})


def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress fragment htmx polls while a run is queued or running."""
    item = selectors.run_detail(user=request.user, run_id=run_id)
    response = render(request, "insights/_run_status.html", {"item": item})
    if item.is_finished and _htmx(request):
        response["HX-Trigger"] = "analysis-finished"
    return response
