"""Development plans: modules recommended from the manager's own team's coaching needs (and why), due dates,
progress, and what happens when the team analysis is not there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditEvent
from development import selectors, services
from development.models import DevelopmentPlan, MasteryEvidence, PlanModule
from development.recommendations import NO_ANALYSIS
from development.tests.conftest import Need, make_evidence
from training.models import Competency, Course, Enrolment


@pytest.fixture
def nora_needs(company, stub_needs):
    """Nora's team: Sam and Sara are weak at multi-threading (top priority) and Sam at forecasting hygiene;
    a need no course teaches; Mick's team needs prospecting."""
    return stub_needs({
        company.nora.pk: [
            Need("multithreading", "Multi-threading", 1, [company.sam, company.sara],
                 "Deals touch 1.3 contacts against 3.1 for peers in the same situation"),
            Need("pipeline_hygiene", "Forecasting and pipeline hygiene", 2, [{"id": company.sam.pk,
                 "name": "Sam Acme"}], "Close dates pushed 2.4 times per deal"),
            Need("cold_calling", "Cold calling", 3, ["Sara Acme"], "No course teaches this yet"),
        ],
        company.mick.pk: [Need("prospecting", "Prospecting", 1, [company.sid], "Few new opportunities")],
    })


def refresh(company, who="nora", manager=None, **kw):
    return services.plan_refresh(user=company.user(who), manager=manager or company.nora, **kw)


def test_modules_recommended_from_the_managers_own_team_needs(company, nora_needs):
    result = refresh(company)
    assert result.refreshed
    modules = list(result.plan.modules.select_related("course").order_by("rank", "course__title"))
    # The fewest courses covering the needs, most urgent first: multi-threading (need #1) is taught by three
    # courses; the most focused one is chosen and the others are named as alternatives. Then forecasting hygiene.
    assert [m.course.key for m in modules] == ["sales-leadership", "performance-culture"]
    sales_leadership = modules[0]
    assert sales_leadership.reasons == [{
        "task_key": "multithreading", "task_name": "Multi-threading", "priority": "1", "rank": 1,
        "reason": "Deals touch 1.3 contacts against 3.1 for peers in the same situation",
        "coaching_focus": "", "team_size": 0,
        "sellers": [{"id": str(company.sam.pk), "name": "Sam Acme"}, {"id": str(company.sara.pk), "name": "Sara Acme"}],
        "also_taught_in": ["Enablement tools", "Productivity drivers"],
    }]
    assert "market-opportunities" not in [m.course.key for m in modules]  # prospecting is Mick's team's need
    today = timezone.localdate()
    assert sales_leadership.recommended_on == today
    assert sales_leadership.due_on == today + dt.timedelta(days=270)  # the sales-management track's window
    assert [n["task_key"] for n in result.plan.uncovered_needs] == ["cold_calling"]
    assert nora_needs[0]["manager"] == company.nora
    assert AuditEvent.objects.filter(action="development.plan.modules_recommended").count() == 1


def test_one_course_covering_two_needs_is_preferred_and_lists_both_reasons(company, stub_needs):
    stub_needs({company.nora.pk: [
        Need("discovery", "Discovery", 1, [company.sam], "Few meetings before proposal"),
        Need("qualification", "Qualification", 2, [company.sara], "Losses die late"),
    ]})
    plan = refresh(company).plan
    assert [m.course.key for m in plan.modules.all()] == ["coaching-vs-mentoring"]
    module = plan.modules.get()
    assert [r["task_key"] for r in module.reasons] == ["discovery", "qualification"]


def test_refresh_is_throttled_and_due_dates_stay_put(company, nora_needs):
    refresh(company)
    assert not refresh(company).refreshed
    module = PlanModule.objects.get(plan__manager=company.nora, course__key="performance-culture")
    services.plan_module_set_due(actor=company.user("dirk"), module=module,
                                 due_on=timezone.localdate() + dt.timedelta(days=30))
    assert refresh(company, force=True).refreshed
    module.refresh_from_db()
    assert module.due_on == timezone.localdate() + dt.timedelta(days=30)


def test_a_module_has_one_due_date_on_the_plan_the_list_and_the_training_pages(company, nora_needs):
    """The plan read the module's own date (recommendation day + 270) beside 'training due <enrolment's date>';
    now the enrolment's date is the module's, and moving it on the plan moves the enrolment."""
    today = timezone.localdate()
    course = Course.objects.get(key="sales-leadership")
    enrolment = Enrolment.objects.create(person=company.nora, course=course, enrolled_on=today - dt.timedelta(days=9),
                                         due_on=today + dt.timedelta(days=8))
    refresh(company)
    module = PlanModule.objects.get(plan__manager=company.nora, course=course)
    assert module.due_on == enrolment.due_on
    # An older module date (set before the enrolment existed) gives way to the enrolment's.
    PlanModule.objects.filter(pk=module.pk).update(due_on=today + dt.timedelta(days=270))
    view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
    row = next(m for m in view.modules if m.module.pk == module.pk)
    assert row.due_on == enrolment.due_on
    overview = {r.manager.first_name: r for r in selectors.plans_overview(user=company.user("dirk"))}
    assert overview["Nora"].next_due == enrolment.due_on
    services.plan_module_set_due(actor=company.user("dirk"), module=module, due_on=today + dt.timedelta(days=40))
    enrolment.refresh_from_db()
    assert enrolment.due_on == today + dt.timedelta(days=40)


def test_a_new_module_is_due_by_the_program_rule_after_the_promotion(company, nora_needs):
    today = timezone.localdate()
    company.nora.manager_since = today - dt.timedelta(days=30)
    company.nora.save(update_fields=["manager_since"])
    refresh(company)
    module = PlanModule.objects.get(plan__manager=company.nora, course__key="sales-leadership")
    assert module.due_on == company.nora.manager_since + dt.timedelta(days=270)  # the curriculum's window


def test_the_plan_and_the_list_of_plans_show_one_progress_figure_that_moves_with_accepted_evidence(
        company, nora_needs):
    """The list counted whole modules only (70%) where the plan counted mastered competencies (75%), and did not
    move when evidence was accepted."""
    refresh(company)
    module = next(m for m in PlanModule.objects.filter(plan__manager=company.nora).prefetch_related(
        "course__competencies") if m.course.competencies.count() >= 2)

    def figures() -> tuple[int, int]:
        view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
        row = next(r for r in selectors.plans_overview(user=company.user("dirk")) if r.manager == company.nora)
        return view.percent, row.percent

    before_plan, before_list = figures()
    assert before_plan == before_list
    make_evidence(company.nora, module.course.competencies.first(), by=company.user("dirk"),
                  status=MasteryEvidence.Status.ACCEPTED)
    after_plan, after_list = figures()
    assert after_plan == after_list
    assert after_list > before_list


def test_modules_no_longer_indicated_are_kept_but_set_aside(company, stub_needs):
    needs = {company.nora.pk: [Need("pipeline_hygiene", "Pipeline hygiene", 1, [company.sam], "Pushes")]}
    stub_needs(needs)
    refresh(company)
    needs[company.nora.pk] = [Need("expansion", "Expansion", 1, [company.sara], "Little existing business")]
    refresh(company, force=True)
    culture = PlanModule.objects.get(plan__manager=company.nora, course__key="performance-culture")
    assert culture.still_indicated is False
    view = selectors.plan_view(user=company.user("nora"), manager=company.nora, relation="self")
    assert [m.module.course.key for m in view.retired_modules] == ["performance-culture"]
    assert [m.module.course.key for m in view.modules] == ["sales-leadership"]


def test_no_team_analysis_yet(company, no_insights):
    result = refresh(company)
    assert not result.refreshed
    assert result.plan.analysis_note == NO_ANALYSIS
    assert not result.plan.modules.exists()


def test_an_engine_that_never_ran_means_no_team_analysis_yet(company):
    result = refresh(company)  # the real insights app, with no analysis run in this database
    assert result.plan.analysis_note == NO_ANALYSIS


def test_the_engines_own_need_objects_are_read(company, stub_needs, monkeypatch):
    from insights.selectors import ManagerNeed

    stub_needs({company.nora.pk: [ManagerNeed(
        task_key="follow_up", task_name="Follow-up and deal momentum", priority=0.8123, sellers=[company.sara],
        reason="11 days between touches on open deals, against 4 for peers", rank=1, team_size=2,
        coaching_focus="Agree the next step and its date at the end of every customer conversation.",
    )]})
    plan = refresh(company).plan
    module = plan.modules.get(course__key="time-for-sellers")  # the most focused course teaching follow-up
    assert module.reasons[0]["rank"] == 1
    assert module.reasons[0]["sellers"] == [{"id": str(company.sara.pk), "name": "Sara Acme"}]
    assert module.reasons[0]["coaching_focus"].startswith("Agree the next step")


def test_a_failing_engine_does_not_break_the_plan(company, stub_needs, monkeypatch):
    import sys

    stub_needs({})

    def broken(**kwargs):
        raise RuntimeError("analytics store missing")

    monkeypatch.setattr(sys.modules["insights.selectors"], "manager_coaching_needs", broken)
    result = refresh(company)
    assert "could not be read" in result.plan.analysis_note


def test_seller_names_outside_the_viewers_scope_are_not_shown(company, stub_needs):
    # A need naming a seller of Mick's team in Nora's plan: Hana (HR for North) must not see Sid's name.
    stub_needs({company.nora.pk: [Need("multithreading", "Multi-threading", 1, [company.sam, company.sid], "x")]})
    refresh(company)
    view = selectors.plan_view(user=company.user("hana"), manager=company.nora, relation="hr")
    reason = view.modules[0].reasons[0]
    assert [s["name"] for s in reason["sellers"]] == ["Sam Acme"]
    assert reason["hidden_sellers"] == 1


def test_progress_fundamentals_from_enrolments_modules_from_mastery(company, nora_needs):
    refresh(company)
    today = timezone.localdate()
    feedback = Course.objects.get(key="giving-feedback")
    Enrolment.objects.create(person=company.nora, course=feedback, enrolled_on=today - dt.timedelta(days=60),
                             due_on=today - dt.timedelta(days=5), status=Enrolment.Status.COMPLETED,
                             completed_on=today - dt.timedelta(days=10))
    Enrolment.objects.create(person=company.nora, course=Course.objects.get(key="setting-expectations"),
                             enrolled_on=today - dt.timedelta(days=60), due_on=today - dt.timedelta(days=3))
    view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
    assert view.fundamentals_completed == 1
    assert view.fundamentals_done == 0  # completed, but its competency is not shown yet: not done
    assert view.fundamentals_overdue == 1
    assert view.fundamentals_status == "Overdue"
    culture = next(m for m in view.modules if m.module.course.key == "performance-culture")
    assert not culture.progress.done
    for competency in culture.module.course.competencies.all():
        make_evidence(company.nora, competency, by=company.user("dirk"), status=MasteryEvidence.Status.ACCEPTED)
    view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
    culture = next(m for m in view.modules if m.module.course.key == "performance-culture")
    assert culture.progress.done
    assert view.modules_done >= 1
    assert 0 < view.percent < 100
    assert view.can_manage


def test_leader_sets_due_dates_adds_modules_and_checks_in_all_audited(company, nora_needs):
    refresh(company)
    module = PlanModule.objects.filter(plan__manager=company.nora).first()
    new_due = timezone.localdate() + dt.timedelta(days=45)
    services.plan_module_set_due(actor=company.user("dirk"), module=module, due_on=new_due)
    with pytest.raises(ValidationError):
        services.plan_module_set_due(actor=company.user("dirk"), module=module,
                                     due_on=timezone.localdate() - dt.timedelta(days=1))
    added = services.plan_module_add(actor=company.user("hana"), manager=company.nora,
                                     course=Course.objects.get(key="motivation"), due_on=new_due)
    assert added.source == PlanModule.Source.LEADER
    with pytest.raises(ValidationError):
        services.plan_module_add(actor=company.user("hana"), manager=company.nora,
                                 course=Course.objects.get(key="motivation"), due_on=new_due)
    services.plan_check_in(actor=company.user("dirk"), manager=company.nora,
                           note="Agreed to finish forecasting before the Q3 review.")
    assert list(AuditEvent.objects.filter(action__startswith="development.plan.").exclude(
        action="development.plan.modules_recommended").values_list("action", flat=True).order_by("pk")) == [
        "development.plan.due_date_changed", "development.plan.module_added", "development.plan.check_in"]


@pytest.mark.parametrize("who", ["nora", "mick", "sam", "otto"])
def test_the_manager_and_outsiders_cannot_change_the_plan(company, nora_needs, who):
    refresh(company)
    module = PlanModule.objects.filter(plan__manager=company.nora).first()
    with pytest.raises(PermissionDenied):
        services.plan_module_set_due(actor=company.user(who), module=module,
                                     due_on=timezone.localdate() + dt.timedelta(days=9))
    with pytest.raises(PermissionDenied):
        services.plan_check_in(actor=company.user(who), manager=company.nora, note="Trying to note something.")


def test_leaders_see_their_managers_plans_with_progress(company, nora_needs):
    refresh(company)
    refresh(company, who="mick", manager=company.mick)
    make_evidence(company.nora, Competency.objects.get(key="coaching"), by=company.user("nora"))
    rows = {r.manager.first_name: r for r in selectors.plans_overview(user=company.user("vera"))}
    assert set(rows) == {"Dirk", "Nora", "Mick"}
    nora = rows["Nora"]
    assert nora.modules_total == 2
    assert nora.modules_done == 0
    assert nora.awaiting_review == 1
    assert nora.fundamentals_total == Course.objects.filter(track__key="management-fundamentals",
                                                            is_active=True).count()
    assert rows["Mick"].modules_total == 1  # prospecting: motivating sellers (the more focused course)
    assert [r.manager.first_name for r in selectors.plans_overview(user=company.user("dirk"))] == ["Nora"]
    assert [r.manager.first_name for r in selectors.plans_overview(user=company.user("hana"))] == ["Dirk", "Nora"]
    assert selectors.plans_overview(user=company.user("nora")) == []
    assert selectors.plans_overview(user=company.user("otto")) == []


def test_plans_overview_runs_a_fixed_number_of_queries(company, stub_needs, django_assert_max_num_queries):
    from people.services import reporting_paths_rebuild
    from tests.factories import PersonFactory

    stub_needs({})
    for i in range(30):
        manager = PersonFactory(manager=company.dirk, manager_since=dt.date(2025, 1, 1), org_unit=company.team_a,
                                first_name=f"M{i:02d}")
        DevelopmentPlan.objects.create(manager=manager)
    reporting_paths_rebuild()
    with django_assert_max_num_queries(17):  # 5 of them count fundamentals completed and mastered
        rows = selectors.plans_overview(user=company.user("dirk"))
    assert len(rows) == 31


def test_plan_view_only_reads_and_opening_the_plan_creates_it(company):
    assert not DevelopmentPlan.objects.filter(manager=company.nora).exists()
    view = selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader")
    assert view.modules == []
    assert view.plan.pk is None
    assert not DevelopmentPlan.objects.filter(manager=company.nora).exists()  # a selector never writes
    plan = services.plan_open(manager=company.nora)
    assert services.plan_open(manager=company.nora) == plan  # once per manager
    assert selectors.plan_view(user=company.user("dirk"), manager=company.nora, relation="leader").plan == plan
