"""Services: queueing and running analyses, the snapshot they write, overrides with who and why, rules, tasks."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from insights import services
from insights.library import DEFAULT_TASKS
from insights.models import (
    AnalysisRun,
    CoachingNeed,
    SellerDiagnostic,
    SellerSituationOverride,
    SellerTaskGap,
    SellingTask,
    Situation,
    SituationResult,
    TaskEvidence,
    TaskWeightOverride,
    TeamComparison,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_default_library_is_installed_by_the_data_migration():
    keys = set(SellingTask.objects.values_list("key", flat=True))
    assert keys >= {t.key for t in DEFAULT_TASKS}
    coverage = SellingTask.objects.get(key="account_coverage")
    assert coverage.is_default
    assert coverage.is_active
    assert coverage.metric_keys == ["accounts_touched_share"]
    assert coverage.prior_weight == pytest.approx(0.28 * (coverage.prior_importance - 1) / 4, abs=1e-4)
    assert "O*NET 29.3" in coverage.prior_source
    assert "CC BY 4.0" in coverage.prior_source
    assert "11251" in coverage.onet_task_ids
    assert coverage.behaviours
    assert coverage.coaching_focus
    assert SellingTask.objects.get(key="closing").kind == SellingTask.Kind.RESULT


def test_enqueue_queues_once_and_audits(company, no_worker, django_capture_on_commit_callbacks):
    admin = company.admin
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analysis_enqueue(actor=admin, reason="on demand")
    again = services.analysis_enqueue(actor=admin, reason="after import")
    assert again.pk == run.pk  # a queued run absorbs the request
    assert run.status == AnalysisRun.Status.QUEUED
    assert run.requested_by == admin
    assert AuditEvent.objects.filter(action="insights.analysis_enqueued", target_id=str(run.pk)).exists()
    run.refresh_from_db()
    assert run.job_id  # the background job was enqueued after commit
    other = services.analysis_enqueue(actor=admin, reason="another period", period_start=dt.date(2025, 1, 1),
                                      period_end=dt.date(2025, 6, 30))
    assert other.pk != run.pk


def test_a_period_that_ends_before_it_starts_is_refused(company):
    with pytest.raises(services.AnalysisError, match="ends"):
        services.analysis_enqueue(actor=company.admin, period_start=dt.date(2025, 6, 1),
                                  period_end=dt.date(2025, 1, 1))


def test_a_run_without_crm_data_fails_with_the_reason(company, settings, tmp_path, no_worker):
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'empty.duckdb'}"
    import ibis

    ibis.duckdb.connect(str(tmp_path / "empty.duckdb")).disconnect()
    run = services.analysis_run_now(actor=None, reason="test")
    assert run.status == AnalysisRun.Status.FAILED
    assert "import CRM data first" in run.error
    assert run.finished_at is not None
    assert gc.isenabled()  # paused while the run computed, back on after the failure


def test_a_run_leaves_the_garbage_collector_as_the_caller_had_it(analysed):
    assert gc.isenabled()
    gc.disable()
    try:
        services.analysis_run_now(actor=None, reason="again")
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_analysis_writes_a_complete_snapshot(analysed):
    run = analysed.run
    assert run.status == AnalysisRun.Status.SUCCEEDED
    assert run.progress == 100
    assert run.outcome == AnalysisRun.Outcome.ATTAINMENT
    assert run.period_start == dt.date(2025, 1, 1)
    assert run.period_end == dt.date(2025, 12, 31)
    assert run.seller_count == 64
    results = list(run.situation_results.select_related("situation"))
    assert len(results) == 2
    assert sum(r.seller_count for r in results) == 64
    assert all(r.situation.kind == Situation.Kind.PROPOSED and r.by_cluster == r.seller_count for r in results)
    tasks = SellingTask.objects.filter(is_active=True).count()
    assert TaskEvidence.objects.filter(run=run).count() == 2 * tasks
    assert SellerDiagnostic.objects.filter(run=run).count() == 64
    assert SellerTaskGap.objects.filter(run=run).count() > 64 * 5
    sam = SellerDiagnostic.objects.get(run=run, seller=analysed.company.sam)
    assert sam.manager == analysed.company.nora
    assert sam.region == "North"
    ranks = list(sam.gaps.filter(priority_rank__isnull=False).order_by("priority_rank")
                 .values_list("priority_rank", flat=True))
    assert ranks == list(range(1, len(ranks) + 1))
    assert len(ranks) <= 3
    assert CoachingNeed.objects.filter(run=run, manager=analysed.company.nora).exists()
    assert TeamComparison.objects.filter(run=run, manager=analysed.company.mick).exists()
    # Every critical task is evidence-backed in these situations of 32 sellers.
    for e in TaskEvidence.objects.filter(run=run, is_critical=True):
        assert e.explanation
        assert e.effect is not None
        assert e.ci_low < e.effect < e.ci_high


def test_proposed_situations_are_matched_on_the_next_run(analysed):
    first = {r.situation_id for r in analysed.run.situation_results.all()}
    second = services.analysis_run_now(actor=None, reason="again")
    assert {r.situation_id for r in second.situation_results.all()} == first
    assert Situation.objects.count() == 2


def test_snapshot_writing_is_batched(analysed):
    run = AnalysisRun.objects.create(status=AnalysisRun.Status.RUNNING)
    from crm import store
    from insights.analysis.pipeline import analyse
    from insights.metrics import Period

    with store.session(read_only=True) as con:
        inputs = services.inputs_build(period=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31),
                                                     dt.date(2025, 12, 31)))
        result = analyse(con, inputs)
    with CaptureQueriesContext(connection) as queries:
        services.snapshot_write(run=run, result=result)
    assert len(queries) < 40  # bulk inserts, not one query per seller or gap


def test_weight_override_keeps_author_date_and_note_and_queues_a_run(analysed, django_capture_on_commit_callbacks):
    hana = analysed.company.hana.user
    situation = analysed.run.situation_results.first().situation
    task = SellingTask.objects.get(key="pipeline_hygiene")
    row = services.task_weight_override_set(actor=hana, situation=situation, task=task, weight=0.3,
                                            note="Forecast accuracy is a company goal.")
    assert row.author == hana
    assert row.created_at is not None
    assert services.weight_override_current(situation=situation, task=task) == row
    assert AuditEvent.objects.filter(action="insights.task_weight_override", actor=hana).exists()
    queued = AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).get()
    assert "pipeline hygiene" in queued.reason.lower() or "Forecasting" in queued.reason
    run = services.analysis_execute(run_id=queued.pk)
    evidence = TaskEvidence.objects.get(run=run, situation=situation, task=task)
    assert evidence.driven_by == TaskEvidence.DrivenBy.OVERRIDE
    assert evidence.weight == pytest.approx(0.3)
    assert evidence.override_note == "Forecast accuracy is a company goal."
    assert evidence.override_author == "Hana Acme"
    assert evidence.effect is not None  # the evidence stays beside the override
    assert evidence.is_critical
    # Back to the evidence: a new row, the old one kept.
    services.task_weight_override_set(actor=hana, situation=situation, task=task, weight=None, note="Reverted.")
    assert services.weight_override_current(situation=situation, task=task) is None
    assert TaskWeightOverride.objects.filter(situation=situation, task=task).count() == 2


def test_weight_override_needs_a_note_and_a_sane_weight(analysed):
    situation = analysed.run.situation_results.first().situation
    task = SellingTask.objects.get(key="prospecting")
    with pytest.raises(services.AnalysisError, match="note"):
        services.task_weight_override_set(actor=analysed.company.admin, situation=situation, task=task,
                                          weight=0.2, note=" ")
    with pytest.raises(services.AnalysisError, match="outside"):
        services.task_weight_override_set(actor=analysed.company.admin, situation=situation, task=task,
                                          weight=3, note="x")


def test_seller_placement_keeps_who_and_why_and_applies_next_run(analysed):
    vera = analysed.company.vera.user
    sam = analysed.company.sam
    target = SituationResult.objects.filter(run=analysed.run).exclude(
        situation=SellerDiagnostic.objects.get(run=analysed.run, seller=sam).situation).get().situation
    row = services.seller_situation_override_set(actor=vera, seller=sam, situation=target,
                                                 reason="Moved to inside sales in March.")
    assert row.author == vera
    assert row.reason == "Moved to inside sales in March."
    assert AuditEvent.objects.filter(action="insights.seller_situation_override", target_id=str(sam.pk)).exists()
    run = services.analysis_run_now(actor=None, reason="after placement")
    placed = SellerDiagnostic.objects.get(run=run, seller=sam)
    assert placed.situation == target
    assert placed.assigned_by == SellerDiagnostic.AssignedBy.OVERRIDE
    services.seller_situation_override_set(actor=vera, seller=sam, situation=None, reason="Back to automatic.")
    run = services.analysis_run_now(actor=None, reason="after reset")
    assert SellerDiagnostic.objects.get(run=run, seller=sam).assigned_by == SellerDiagnostic.AssignedBy.CLUSTER
    assert SellerSituationOverride.objects.filter(seller=sam).count() == 2


def test_rule_situations_take_their_sellers(analysed):
    rule = services.situation_rule_save(
        actor=analysed.company.hana.user, name="Big books", description="",
        conditions=[{"feature": "accounts", "op": "gt", "value": "100"}], priority=10,
    )
    assert rule.conditions == [{"feature": "accounts", "op": "gt", "value": 100.0}]
    run = services.analysis_run_now(actor=None, reason="after rule")
    result = run.situation_results.get(situation=rule)
    assert result.by_rule == result.seller_count > 0
    assert SellerDiagnostic.objects.filter(run=run, situation=rule, assigned_by="rule").count() == result.seller_count


@pytest.mark.parametrize(("conditions", "message"), [
    ([], "at least one condition"),
    ([{"feature": "height", "op": "gt", "value": 1}], "unknown feature"),
    ([{"feature": "accounts", "op": "eq", "value": 1}], "is a number"),
    ([{"feature": "accounts", "op": "gt", "value": "many"}], "'many' is not a number"),
    ([{"feature": "segment", "op": "gt", "value": "SMB"}], "is text"),
])
def test_bad_rules_are_refused_with_the_clause_named(company, conditions, message):
    with pytest.raises(services.AnalysisError, match=message):
        services.situation_rule_save(actor=company.admin, name="X", description="", conditions=conditions,
                                     priority=1)


def test_rule_names_must_be_unique(company):
    services.situation_rule_save(actor=company.admin, name="Key accounts", description="",
                                 conditions=[{"feature": "accounts", "op": "lt", "value": 20}], priority=1)
    with pytest.raises(services.AnalysisError, match="already exists"):
        services.situation_rule_save(actor=company.admin, name="key accounts", description="",
                                     conditions=[{"feature": "accounts", "op": "lt", "value": 30}], priority=2)


def test_tasks_are_added_and_edited_with_checks(company):
    data = services.TaskData(name="Referrals", definition="Asking customers for introductions.",
                             behaviours=["Asks for one referral per won deal"], coaching_focus="Role-play the ask.",
                             metric_keys=["new_opportunities_per_quarter"], prior_weight=0.1,
                             prior_source="Internal study")
    task = services.selling_task_create(actor=company.admin, key="referrals", data=data)
    assert not task.is_default
    assert task.updated_by == company.admin
    with pytest.raises(services.AnalysisError, match="already exists"):
        services.selling_task_create(actor=company.admin, key="referrals", data=data)
    data.metric_keys = ["not_a_metric"]
    with pytest.raises(services.AnalysisError, match="Unknown metric"):
        services.selling_task_update(actor=company.admin, task=task, data=data)
    data.metric_keys = ["win_rate"]
    data.prior_weight = 0.2
    services.selling_task_update(actor=company.admin, task=task, data=data)
    task.refresh_from_db()
    assert task.metric_keys == ["win_rate"]
    assert task.prior_weight == 0.2
    assert AuditEvent.objects.filter(action="insights.task_updated", target_id=str(task.pk)).exists()


def test_an_inactive_task_is_left_out_of_the_next_analysis(analysed):
    SellingTask.objects.filter(key="activity_volume").update(is_active=False)
    run = services.analysis_run_now(actor=None, reason="without activity volume")
    assert not TaskEvidence.objects.filter(run=run, task__key="activity_volume").exists()


def test_a_succeeded_run_queues_the_housekeeping_instead_of_deleting_old_rows(
    analysed, settings, django_capture_on_commit_callbacks,
):
    from django_tasks import default_task_backend

    from insights.tasks import prune_analysis_details

    settings.INSIGHTS_KEEP_DETAILED_RUNS = 1
    with django_capture_on_commit_callbacks(execute=True):
        second = services.analysis_run_now(actor=None, reason="again")
    assert second.status == AnalysisRun.Status.SUCCEEDED
    assert SellerTaskGap.objects.filter(run=analysed.run).exists()  # the run did not wait for the delete
    queued = [r for r in default_task_backend.results if r.task.name == prune_analysis_details.name]
    assert len(queued) == 1


def test_a_failure_to_queue_the_housekeeping_leaves_the_run_succeeded(
    analysed, monkeypatch, django_capture_on_commit_callbacks,
):
    from types import SimpleNamespace

    from insights import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(tasks, "prune_analysis_details", SimpleNamespace(enqueue=broken))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analysis_run_now(actor=None, reason="again")
    assert run.status == AnalysisRun.Status.SUCCEEDED


def test_only_recent_runs_keep_their_per_task_rows(analysed, settings):
    from insights.tasks import prune_analysis_details

    settings.INSIGHTS_KEEP_DETAILED_RUNS = 1
    second = services.analysis_run_now(actor=None, reason="again")
    rows = SellerTaskGap.objects.filter(run=analysed.run).count()
    assert prune_analysis_details.call() == rows
    assert not SellerTaskGap.objects.filter(run=analysed.run).exists()
    assert SellerTaskGap.objects.filter(run=second).exists()
    assert SellerDiagnostic.objects.filter(run=analysed.run).count() == 64  # kept for trends


def test_housekeeping_never_touches_a_run_that_has_not_succeeded_yet(analysed, settings):
    settings.INSIGHTS_KEEP_DETAILED_RUNS = 1
    second = services.analysis_run_now(actor=None, reason="again")
    # As if the first run were still being saved while the housekeeping ran.
    AnalysisRun.objects.filter(pk=analysed.run.pk).update(status=AnalysisRun.Status.RUNNING)
    assert services.analysis_details_prune() == 0
    assert SellerTaskGap.objects.filter(run=analysed.run).exists()
    assert SellerTaskGap.objects.filter(run=second).exists()


def test_the_snapshot_rows_are_the_rows_the_orm_would_write(analysed):
    """snapshot_write inserts plain values; the same result saved through model instances gives the same rows,
    JSON fields included, on SQLite and PostgreSQL alike."""
    from crm import store
    from insights.analysis.pipeline import analyse
    from insights.metrics import Period

    with store.session(read_only=True) as con:
        inputs = services.inputs_build(period=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31),
                                                     dt.date(2025, 12, 31)))
        result = analyse(con, inputs)
    fast = AnalysisRun.objects.create(status=AnalysisRun.Status.RUNNING)
    services.snapshot_write(run=fast, result=result)
    orm = AnalysisRun.objects.create(status=AnalysisRun.Status.RUNNING)
    situation_ids = dict(SituationResult.objects.filter(run=fast).values_list("situation__name", "situation_id"))
    situation_of = {s.key: situation_ids[s.name] for s in result.situations}
    diagnostics = SellerDiagnostic.objects.bulk_create([
        SellerDiagnostic(
            run=orm, seller_id=s.person_id, crm_user_id=s.crm_user_id, situation_id=situation_of[s.situation_key],
            assigned_by=s.assigned_by, manager_id=s.manager_id, region=s.region, tenure_months=s.tenure_months,
            is_ramping=s.is_ramping, outcome=s.outcome, outcome_percentile=s.outcome_percentile,
            won_amount=s.won_amount, features=s.features, opportunities_created=s.numbers.created,
            opportunities_won=s.numbers.won, opportunities_lost=s.numbers.lost, opportunities_open=s.numbers.open,
            win_rate=s.numbers.win_rate, quota=s.numbers.quota, attainment=s.numbers.attainment,
            currencies=list(s.numbers.currencies), seat_start=s.numbers.seat_start,
        )
        for s in result.sellers
    ])
    diagnostic_of = {d.seller_id: d.pk for d in diagnostics}
    SellerTaskGap.objects.bulk_create([
        SellerTaskGap(run=orm, diagnostic_id=diagnostic_of[person_id], task_id=g.task_id, value=g.value,
                      percentile=g.percentile, target=g.target, gap=g.gap, importance=g.importance,
                      priority=g.priority, priority_rank=g.priority_rank, is_critical=g.is_critical, reason=g.reason)
        for table in result.gaps for i, person_id in enumerate(table.person_ids) for g in table.gaps(i)
    ])
    CoachingNeed.objects.bulk_create([
        CoachingNeed(run=orm, manager_id=n.manager_id, task_id=n.task_id, priority=n.priority, rank=n.rank,
                     seller_ids=n.seller_ids, team_size=n.team_size, reason=n.reason)
        for n in result.needs
    ])
    TeamComparison.objects.bulk_create([
        TeamComparison(run=orm, manager_id=c.manager_id, situation_id=situation_of[c.situation_key],
                       seller_count=c.seller_count, team_median_percentile=c.team_median_percentile,
                       other_teams=c.other_teams, other_teams_median_percentile=c.other_teams_median_percentile,
                       team_rank=c.team_rank, task_percentiles=c.task_percentiles)
        for c in result.comparisons
    ])

    def rows(model, run):
        found = sorted((tuple(sorted((k, repr(v)) for k, v in row.items() if k not in ("id", "run_id")))
                        for row in model.objects.filter(run=run).order_by().values()), key=str)
        assert found
        return found

    def raw_json(model, column, run):  # as stored: text on SQLite, jsonb on PostgreSQL
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE run_id = %s ORDER BY id", [run.pk])  # noqa: S608
            return [value for (value,) in cursor.fetchall()]

    assert rows(SellerDiagnostic, fast) == rows(SellerDiagnostic, orm)
    assert rows(CoachingNeed, fast) == rows(CoachingNeed, orm)
    assert rows(TeamComparison, fast) == rows(TeamComparison, orm)
    for model, column in [(SellerDiagnostic, "features"), (SellerDiagnostic, "currencies"),
                          (CoachingNeed, "seller_ids"), (TeamComparison, "task_percentiles")]:
        assert raw_json(model, column, fast) == raw_json(model, column, orm)
    seller_of = dict(SellerDiagnostic.objects.values_list("id", "seller_id"))

    def gap_rows(run):
        return sorted(
            (seller_of[g.pop("diagnostic_id")], tuple(sorted((k, repr(v)) for k, v in g.items()
                                                             if k not in ("id", "run_id"))))
            for g in SellerTaskGap.objects.filter(run=run).order_by().values()
        )

    assert gap_rows(fast) == gap_rows(orm)
    assert SellerTaskGap.objects.filter(run=fast).exclude(reason="").exists()


def test_a_run_left_running_by_a_killed_worker_is_failed_when_the_next_is_queued(company):
    import datetime as dt_

    from django.utils import timezone

    stuck = AnalysisRun.objects.create(status=AnalysisRun.Status.RUNNING,
                                       started_at=timezone.now() - dt_.timedelta(hours=7))
    recent = AnalysisRun.objects.create(status=AnalysisRun.Status.RUNNING, started_at=timezone.now())
    services.analysis_enqueue(actor=company.admin, reason="on demand")
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == AnalysisRun.Status.FAILED
    assert "worker stopped" in stuck.error
    assert recent.status == AnalysisRun.Status.RUNNING


def test_a_proposed_situations_description_follows_the_engine_until_a_person_edits_it(analysed):
    proposed = list(Situation.objects.filter(kind=Situation.Kind.PROPOSED).order_by("pk"))
    assert len(proposed) >= 2
    untouched, edited = proposed[0], proposed[1]
    # As if the books had moved since the last run: the description is that run's summary, now out of date.
    SituationResult.objects.filter(run=analysed.run, situation=untouched).update(summary="About 1 account")
    Situation.objects.filter(pk=untouched.pk).update(description="About 1 account")
    services.situation_update(actor=analysed.company.admin, situation=edited, name=edited.name,
                              description="Our enterprise books, as the sales leaders call them.", is_active=True)
    run = services.analysis_run_now(actor=None, reason="again")
    untouched.refresh_from_db()
    edited.refresh_from_db()
    assert untouched.description == SituationResult.objects.get(run=run, situation=untouched).summary
    assert untouched.description != "About 1 account"
    assert edited.description == "Our enterprise books, as the sales leaders call them."
