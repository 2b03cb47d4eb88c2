"""Reads of the bottom-up engine's snapshots, always scoped to what the signed-in person may see.

Pages and the API read the latest succeeded analysis run; nothing here calls the engine. People-level data goes
through people.scoping (`visible_people`): a seller sees their own diagnostic only, a manager their team, a
leader their subtree, an HR partner their units, an administrator everyone. Situation profiles are aggregates over
the whole company and are open to HR partners, sales leaders and administrators, and to managers for the
situations their sellers are in.

Public contract used by other apps: `manager_coaching_needs(*, user, manager)`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Role
from insights.analysis.evidence import quartile_sentence
from insights.analysis.pipeline import NOT_CRITICAL_UNPROVEN, NOT_CRITICAL_UNTESTED
from insights.equipment import courses_teaching, equipped_task_keys, mastery_is_recorded
from insights.metrics import METRICS, MetricDefinition, format_value
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
from people.models import Person
from people.scoping import Scope, me, scope_for, visible_people

# ---------------------------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------------------------


def can_run_analysis(user: Any) -> bool:
    return scope_for(user).is_hr


def can_review_profiles(user: Any) -> bool:
    """Sales leaders, HR partners and administrators review profiles, override weights and define situations."""
    return scope_for(user).has(Role.ADMINISTRATOR, Role.HR_PARTNER, Role.SENIOR_SALES_LEADER)


def can_edit_library(user: Any) -> bool:
    return scope_for(user).sees_everyone


def can_view_situations(user: Any) -> bool:
    return scope_for(user).has(Role.ADMINISTRATOR, Role.HR_PARTNER, Role.SENIOR_SALES_LEADER, Role.SALES_MANAGER)


def can_view_teams(user: Any) -> bool:
    return can_view_situations(user)


def sees_all_situations(scope: Scope) -> bool:
    return scope.has(Role.ADMINISTRATOR, Role.HR_PARTNER, Role.SENIOR_SALES_LEADER)


# ---------------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------------


def latest_run() -> AnalysisRun | None:
    """The latest analysis that succeeded: the snapshot every page reads."""
    return (AnalysisRun.objects.filter(status=AnalysisRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-pk").first())


@dataclass(frozen=True)
class RunSummary:
    """What a caller may read about an analysis run as a whole."""

    run: AnalysisRun
    seller_count: int
    notes: list[str]


def run_summary(*, user: Any, run: AnalysisRun) -> RunSummary:
    """`run`'s seller count and notes on the data, as far as `user` may see: the sellers analysed among the people
    they may see, and notes about those sellers only.

    The run's own notes count people across the whole company (sellers still ramping or without a quota, CRM users
    linked to nobody), so only administrators read them as the engine wrote them.
    """
    if scope_for(user).sees_everyone:
        return RunSummary(run=run, seller_count=run.seller_count, notes=list(run.data_notes))
    counts = _visible_diagnostics(user, run).aggregate(sellers=Count("pk"),
                                                       ramping=Count("pk", filter=Q(is_ramping=True)))
    notes = []
    if counts["ramping"]:
        ramping = counts["ramping"]
        notes.append(f"{ramping} of the sellers you may see {'are' if ramping != 1 else 'is'} still ramping: "
                     "they get diagnostics, but their results do not count in the evidence yet.")
    return RunSummary(run=run, seller_count=counts["sellers"], notes=notes)


def run_in_progress() -> AnalysisRun | None:
    return (AnalysisRun.objects.filter(status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING])
            .order_by("-created_at", "-pk").first())


def run_list(*, user: Any, limit: int = 25) -> list[AnalysisRun]:
    if not can_run_analysis(user):
        raise Http404
    return list(AnalysisRun.objects.select_related("requested_by").order_by("-created_at", "-pk")[:limit])


def run_detail(*, user: Any, run_id: int) -> AnalysisRun:
    if not can_run_analysis(user):
        raise Http404
    return get_object_or_404(AnalysisRun, pk=run_id)


# ---------------------------------------------------------------------------------------------------------------
# Situations and profiles
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SituationCard:
    result: SituationResult
    critical: list[TaskEvidence]
    visible_sellers: int


def _visible_diagnostics(user: Any, run: AnalysisRun) -> QuerySet[SellerDiagnostic]:
    return SellerDiagnostic.objects.filter(run=run, seller__in=visible_people(user))


def _situation_ids_for(user: Any, run: AnalysisRun) -> set[int] | None:
    """Situations `user` may open in `run`: None for all; else those their visible sellers are in."""
    scope = scope_for(user)
    if not can_view_situations(user):
        raise Http404
    if sees_all_situations(scope):
        return None
    return set(_visible_diagnostics(user, run).values_list("situation_id", flat=True).distinct())


def situation_cards(*, user: Any, run: AnalysisRun) -> list[SituationCard]:
    """The run's situations with their critical tasks, as far as `user` may see them."""
    allowed = _situation_ids_for(user, run)
    results = list(run.situation_results.select_related("situation").order_by("-seller_count", "situation__name"))
    if allowed is not None:
        results = [r for r in results if r.situation_id in allowed]
    critical: dict[int, list[TaskEvidence]] = defaultdict(list)
    for item in (TaskEvidence.objects.filter(run=run, is_critical=True).select_related("task")
                 .order_by("situation_id", "rank")):
        critical[item.situation_id].append(item)
    counts = dict(
        _visible_diagnostics(user, run).values("situation_id").annotate(n=Count("pk")).values_list("situation_id", "n")
    )
    return [SituationCard(r, critical[r.situation_id], counts.get(r.situation_id, 0)) for r in results]


# What the analysis appends to a task's explanation when it is not called critical: plain words, kept as they are.
_NOT_CRITICAL_ENDINGS = (NOT_CRITICAL_UNPROVEN, NOT_CRITICAL_UNTESTED)
_OUTCOME_OF_OTHERS = "partly an outcome of the others"  # evidence_sentence's words for a result-like task


@dataclass
class EvidenceRow:
    evidence: TaskEvidence
    metric: MetricDefinition | None
    override: TaskWeightOverride | None
    override_history: list[TaskWeightOverride]
    outcome_label: str = "success"  # what the run measured success by, in words ("attainment")

    @property
    def plain_explanation(self) -> str:
        """The evidence for the page, in words an HR partner can repeat: what top and bottom sellers do, which way
        the task goes with success and how sure the data is, and what set the weight. The statistician's sentence
        (standardised effect, interval) stays in `evidence.explanation`, one click away on the page."""
        e = self.evidence
        if e.effect is None or e.ci_low is None or e.ci_high is None:
            return e.explanation  # not estimated from the data: the analysis already says why, in plain words
        parts = [quartile_sentence(self.metric, e.top_quartile, e.bottom_quartile)] if self.metric else []
        size = abs(e.effect)
        strength = "much " if size >= 0.5 else "" if size >= 0.2 else "slightly "
        parts.append(f"Here, sellers who do this task better have {strength}"
                     f"{'higher' if e.effect >= 0 else 'lower'} {self.outcome_label}, comparing {e.seller_count} "
                     "sellers with the same time in the role.")
        parts.append("The data shows this clearly." if e.ci_low > 0 or e.ci_high < 0 else
                     "The data cannot yet tell this apart from chance.")
        if _OUTCOME_OF_OTHERS in e.explanation:
            parts.append("This task is partly a result of the others, so it becomes critical only when a reviewer "
                         "sets its weight.")
        if e.driven_by == TaskEvidence.DrivenBy.DATA:
            parts.append(f"The weight comes mostly from this company's data ({e.data_share:.0%} of it).")
        elif e.driven_by == TaskEvidence.DrivenBy.PRIOR:
            parts.append("The weight comes mostly from the task library's starting weight: the data is too "
                         "uncertain to overrule it yet.")
        elif e.driven_by == TaskEvidence.DrivenBy.OVERRIDE:
            parts.append("A reviewer has set the weight.")
        ending = next((end for end in _NOT_CRITICAL_ENDINGS if e.explanation.endswith(end)), "")
        return " ".join(part for part in parts if part) + ending

    @property
    def top_text(self) -> str:
        return self.metric.format(self.evidence.top_quartile) if self.metric else "—"

    @property
    def bottom_text(self) -> str:
        return self.metric.format(self.evidence.bottom_quartile) if self.metric else "—"

    @property
    def median_text(self) -> str:
        return self.metric.format(self.evidence.median) if self.metric else "—"


@dataclass
class SituationProfile:
    run: AnalysisRun
    result: SituationResult
    situation: Situation
    rows: list[EvidenceRow]
    sellers: list[SellerDiagnostic]
    seller_total: int
    trend: list[tuple[AnalysisRun, dict[int, float]]]
    hide_quartiles: bool


MIN_SELLERS_TO_SHOW_QUARTILES = 5


def situation_profile(*, user: Any, run: AnalysisRun, situation_id: int, seller_limit: int = 200
                      ) -> SituationProfile:
    """One situation's ranked task profile with its evidence, overrides and (visible) sellers."""
    allowed = _situation_ids_for(user, run)
    if allowed is not None and situation_id not in allowed:
        raise Http404
    result = get_object_or_404(run.situation_results.select_related("situation"), situation_id=situation_id)
    evidence = list(TaskEvidence.objects.filter(run=run, situation_id=situation_id).select_related("task")
                    .order_by("rank"))
    history: dict[int, list[TaskWeightOverride]] = defaultdict(list)
    for o in (TaskWeightOverride.objects.filter(situation_id=situation_id).select_related("author", "author__person")
              .order_by("-created_at", "-id")):
        history[o.task_id].append(o)
    outcome_label = "attainment" if run.outcome == AnalysisRun.Outcome.ATTAINMENT else "relative won revenue"
    rows = [
        EvidenceRow(
            evidence=e, metric=METRICS.get(e.metric_key), outcome_label=outcome_label,
            override=history[e.task_id][0] if history[e.task_id] and history[e.task_id][0].weight is not None
            else None,
            override_history=history[e.task_id],
        )
        for e in evidence
    ]
    diagnostics = (_visible_diagnostics(user, run).filter(situation_id=situation_id)
                   .select_related("seller", "manager").order_by("seller__last_name", "seller__first_name"))
    total = diagnostics.count()
    recent_runs = list(AnalysisRun.objects.filter(
        status=AnalysisRun.Status.SUCCEEDED, situation_results__situation_id=situation_id,
    ).order_by("-finished_at", "-pk")[:6])
    weights: dict[int, dict[int, float]] = defaultdict(dict)
    for run_id, task_id, weight in TaskEvidence.objects.filter(
        run__in=recent_runs, situation_id=situation_id
    ).values_list("run_id", "task_id", "weight"):
        weights[run_id][task_id] = weight
    return SituationProfile(
        run=run, result=result, situation=result.situation, rows=rows, sellers=list(diagnostics[:seller_limit]),
        seller_total=total, trend=[(r, weights[r.pk]) for r in reversed(recent_runs)],
        hide_quartiles=result.seller_count < MIN_SELLERS_TO_SHOW_QUARTILES,
    )


def situations_for_rules(*, user: Any) -> list[Situation]:
    if not can_review_profiles(user):
        raise Http404
    return list(Situation.objects.select_related("created_by").order_by("-is_active", "kind", "priority", "name"))


def situation_for_edit(*, user: Any, situation_id: int) -> Situation:
    if not can_review_profiles(user):
        raise Http404
    return get_object_or_404(Situation, pk=situation_id)


def active_situations() -> list[Situation]:
    return list(Situation.objects.filter(is_active=True).order_by("kind", "priority", "name"))


def task_for_override(*, user: Any, situation_id: int, task_id: int) -> tuple[Situation, SellingTask]:
    if not can_review_profiles(user):
        raise Http404
    return get_object_or_404(Situation, pk=situation_id), get_object_or_404(SellingTask, pk=task_id)


# ---------------------------------------------------------------------------------------------------------------
# Seller diagnostic
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class GapRow:
    gap: SellerTaskGap
    metric: MetricDefinition | None
    evidence: TaskEvidence | None

    @property
    def value_text(self) -> str:
        return self.metric.format(self.gap.value) if self.metric else "—"

    @property
    def target_text(self) -> str:
        return self.metric.format(self.gap.target) if self.metric else "—"


@dataclass
class SellerView:
    person: Person
    run: AnalysisRun | None
    diagnostic: SellerDiagnostic | None
    priorities: list[GapRow] = field(default_factory=list)
    rows: list[GapRow] = field(default_factory=list)
    history: list[SellerDiagnostic] = field(default_factory=list)
    placement: SellerSituationOverride | None = None
    unavailable: list[TaskEvidence] = field(default_factory=list)


def seller_person(*, user: Any, person_id: int) -> Person:
    return get_object_or_404(visible_people(user).select_related("manager", "org_unit"), pk=person_id)


def seller_history(person: Person, *, periods: int = 8) -> list[SellerDiagnostic]:
    """The seller's diagnostics over time: one per analysis period (the latest analysis of each, since a
    re-analysis of the same period, after a weight override say, does not change where the seller stood), the
    `periods` most recent periods in order of their end."""
    latest: dict[tuple[Any, Any], SellerDiagnostic] = {}
    for diagnostic in (SellerDiagnostic.objects.filter(seller=person, run__status=AnalysisRun.Status.SUCCEEDED)
                       .select_related("run", "situation").order_by("-run__finished_at", "-run_id")[:10 * periods]):
        latest.setdefault((diagnostic.run.period_start, diagnostic.run.period_end), diagnostic)
    ordered = sorted(latest.values(), key=lambda d: (d.run.period_end is None, d.run.period_end, d.run.period_start,
                                                     d.run.finished_at))
    return ordered[-periods:]


def seller_view(*, user: Any, person_id: int, run: AnalysisRun | None) -> SellerView:
    """A seller's diagnostic in `run`: every task's value, standing, gap and priority, with the reasons."""
    person = seller_person(user=user, person_id=person_id)
    view = SellerView(person=person, run=run, diagnostic=None)
    placement = (SellerSituationOverride.objects.filter(seller=person).select_related("situation", "author")
                 .order_by("-created_at", "-id").first())
    view.placement = placement if placement is not None and placement.situation_id else None
    if run is None:
        return view
    diagnostic = (SellerDiagnostic.objects.filter(run=run, seller=person)
                  .select_related("situation", "manager").first())
    view.diagnostic = diagnostic
    view.history = seller_history(person)
    if diagnostic is None:
        return view
    evidence = {e.task_id: e for e in TaskEvidence.objects.filter(run=run, situation_id=diagnostic.situation_id)
                .select_related("task")}
    gaps = list(diagnostic.gaps.select_related("task"))
    rows = [GapRow(g, METRICS.get(evidence[g.task_id].metric_key) if g.task_id in evidence else None,
                   evidence.get(g.task_id)) for g in gaps]
    rows.sort(key=lambda r: (r.evidence.rank if r.evidence else 99))
    view.rows = rows
    view.priorities = sorted((r for r in rows if r.gap.priority_rank), key=lambda r: r.gap.priority_rank or 0)
    measured = {g.task_id for g in gaps}
    view.unavailable = sorted((e for e in evidence.values() if e.task_id not in measured and not e.available),
                              key=lambda e: e.task.position)
    return view


# ---------------------------------------------------------------------------------------------------------------
# Manager needs and the team view
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerNeed:
    """A task a manager's team needs coaching on (the public contract other apps build on)."""

    task_key: str
    task_name: str
    priority: float
    sellers: list[Person]
    reason: str
    rank: int = 0
    team_size: int = 0
    coaching_focus: str = ""
    task_id: int = 0


def manager_coaching_needs(*, user: Any, manager: Person, run: AnalysisRun | None = None) -> list[ManagerNeed]:
    """The coaching needs of `manager`'s team in the latest analysis, most urgent first, as `user` may see them.

    Empty when `user` may not see the manager or no analysis has run. Sellers are limited to those `user` may see.
    """
    visible = visible_people(user)
    if not visible.filter(pk=manager.pk).exists():
        return []
    run = run or latest_run()
    if run is None:
        return []
    needs = list(CoachingNeed.objects.filter(run=run, manager=manager).select_related("task").order_by("rank"))
    ids = {i for n in needs for i in n.seller_ids}
    people = {p.pk: p for p in visible.filter(pk__in=ids)}
    return [
        ManagerNeed(
            task_key=n.task.key, task_name=n.task.name, priority=round(n.priority, 4),
            sellers=sorted((people[i] for i in n.seller_ids if i in people), key=lambda p: p.full_name),
            reason=n.reason, rank=n.rank, team_size=n.team_size, coaching_focus=n.task.coaching_focus,
            task_id=n.task_id,
        )
        for n in needs
    ]


@dataclass
class TeamMember:
    diagnostic: SellerDiagnostic
    priorities: list[GapRow]


@dataclass
class CoachingSkill:
    task: SellingTask
    equipped: bool
    courses: list[Any]  # training.Course
    sellers: int


@dataclass
class OrgManager:
    """A manager in a second-line manager's organisation: their team in the latest analysis and its top needs."""

    manager: Person
    team_size: int
    needs: list[str]
    not_equipped: list[str]


@dataclass(frozen=True)
class TeamNumbers:
    """A team's own numbers for the period: the sums of its sellers' (SellerDiagnostic), win rate and attainment
    worked out from the sums (attainment over the sellers with a quota only)."""

    created: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    won_amount: float = 0.0
    quota: float | None = None
    attainment: float | None = None
    quota_missing: int = 0  # sellers without a quota for the period
    currencies: tuple[str, ...] = ()

    @property
    def win_rate(self) -> float | None:
        return self.won / (self.won + self.lost) if self.won + self.lost else None

    @property
    def currency_text(self) -> str:
        if len(self.currencies) < 2:
            return self.currencies[0] if self.currencies else ""
        return f"{', '.join(self.currencies[:-1])} and {self.currencies[-1]}, added up unconverted"

    @classmethod
    def of(cls, diagnostics: list[SellerDiagnostic]) -> TeamNumbers:
        with_quota = [d for d in diagnostics if d.quota]
        quota = sum(d.quota or 0.0 for d in with_quota) if with_quota else None
        won_with_quota = sum(d.won_amount or 0.0 for d in with_quota)
        return cls(
            created=sum(d.opportunities_created for d in diagnostics),
            won=sum(d.opportunities_won for d in diagnostics), lost=sum(d.opportunities_lost for d in diagnostics),
            open=sum(d.opportunities_open for d in diagnostics),
            won_amount=sum(d.won_amount or 0.0 for d in diagnostics), quota=quota,
            attainment=won_with_quota / quota if quota else None, quota_missing=len(diagnostics) - len(with_quota),
            currencies=tuple(sorted({str(c) for d in diagnostics for c in d.currencies or []})),
        )


@dataclass
class TeamView:
    manager: Person
    run: AnalysisRun | None
    members: list[TeamMember] = field(default_factory=list)
    totals: TeamNumbers = field(default_factory=TeamNumbers)
    managers: list[OrgManager] = field(default_factory=list)
    needs: list[ManagerNeed] = field(default_factory=list)
    skills: list[CoachingSkill] = field(default_factory=list)
    comparisons: list[TeamComparison] = field(default_factory=list)
    mastery_recorded: bool = False


def manager_team(*, user: Any, person_id: int, run: AnalysisRun | None) -> TeamView:
    """A manager's team: each seller's situation and top coaching priorities, the team's needs, what the manager
    needs to be able to coach, and how the team compares with other teams in the same situations."""
    if not can_view_teams(user):
        raise Http404
    manager = get_object_or_404(visible_people(user).select_related("org_unit"), pk=person_id)
    view = TeamView(manager=manager, run=run)
    if run is None:
        return view
    diagnostics = list(
        _visible_diagnostics(user, run).filter(manager=manager).select_related("seller", "situation")
        .order_by("seller__last_name", "seller__first_name")
    )
    gaps: dict[int, list[SellerTaskGap]] = defaultdict(list)
    for gap in (SellerTaskGap.objects.filter(diagnostic__in=diagnostics, priority_rank__isnull=False)
                .select_related("task").order_by("priority_rank")):
        gaps[gap.diagnostic_id].append(gap)
    metric_keys = dict(
        ((situation_id, task_id), key) for situation_id, task_id, key in TaskEvidence.objects.filter(
            run=run, situation_id__in={d.situation_id for d in diagnostics}
        ).values_list("situation_id", "task_id", "metric_key")
    )
    view.members = [
        TeamMember(d, [GapRow(g, METRICS.get(metric_keys.get((d.situation_id, g.task_id), "")), None)
                       for g in gaps[d.pk]])
        for d in diagnostics
    ]
    view.totals = TeamNumbers.of(diagnostics)
    view.needs = manager_coaching_needs(user=user, manager=manager, run=run)
    equipped = equipped_task_keys([manager.pk]).get(manager.pk, set())
    tasks = {t.pk: t for t in SellingTask.objects.filter(pk__in=[n.task_id for n in view.needs])}
    courses = courses_teaching(t.key for t in tasks.values())
    view.skills = [
        CoachingSkill(task=tasks[n.task_id], equipped=n.task_key in equipped, courses=courses.get(n.task_key, []),
                      sellers=len(n.sellers))
        for n in view.needs if n.task_id in tasks
    ]
    view.comparisons = list(TeamComparison.objects.filter(run=run, manager=manager).select_related("situation"))
    view.managers = _org_managers(user, manager, run)
    view.mastery_recorded = mastery_is_recorded()
    return view


def _org_managers(user: Any, manager: Person, run: AnalysisRun) -> list[OrgManager]:
    """The managers below `manager` in the reporting line who have sellers in `run`, as `user` may see them: a
    second-line manager's view of the teams under them (their own sellers are the team view itself)."""
    if not manager.path:
        return []
    sizes = dict(_visible_diagnostics(user, run).filter(manager__path__startswith=manager.path)
                 .exclude(manager=manager).values("manager_id").annotate(n=Count("pk"))
                 .values_list("manager_id", "n"))
    people = {p.pk: p for p in visible_people(user).filter(pk__in=list(sizes))}
    needs = _top_needs(run, list(people))
    lines = [OrgManager(manager=person, team_size=sizes[pk], needs=[n.task.name for n, _ in needs.get(pk, [])],
                        not_equipped=[n.task.name for n, equipped in needs.get(pk, []) if not equipped])
             for pk, person in people.items()]
    lines.sort(key=lambda line: (-len(line.not_equipped), line.manager.last_name, line.manager.first_name))
    return lines


def _top_needs(run: AnalysisRun, manager_ids: list[int]) -> dict[int, list[tuple[CoachingNeed, bool]]]:
    """Each manager's top three team needs in `run`, most urgent first, each with whether the manager is equipped
    to coach it (has shown mastery in a course that teaches it)."""
    needs: dict[int, list[CoachingNeed]] = defaultdict(list)
    for need in (CoachingNeed.objects.filter(run=run, manager_id__in=manager_ids, rank__lte=3)
                 .select_related("task").order_by("rank")):
        needs[need.manager_id].append(need)
    equipped = equipped_task_keys(needs)
    return {m: [(n, n.task.key in equipped.get(m, set())) for n in items] for m, items in needs.items()}


# ---------------------------------------------------------------------------------------------------------------
# The org gap map
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class GapCell:
    sellers: int
    flagged: int
    mean_percentile: float | None

    @property
    def share(self) -> float:
        return self.flagged / self.sellers if self.sellers else 0.0


@dataclass
class GapLine:
    key: str
    label: str
    sellers: int
    cells: dict[int, GapCell]
    person: Person | None = None


@dataclass
class UnequippedManager:
    manager: Person
    needs: list[str]
    team_size: int


@dataclass
class GapMap:
    run: AnalysisRun
    tasks: list[SellingTask]
    org: GapLine
    regions: list[GapLine]
    managers: list[GapLine]
    unequipped: list[UnequippedManager]
    mastery_recorded: bool


def _lines(rows: list[dict[str, Any]], totals: dict[Any, int], key_field: str) -> dict[Any, GapLine]:
    lines: dict[Any, GapLine] = {}
    for row in rows:
        key = row[key_field]
        line = lines.setdefault(key, GapLine(key=str(key), label=str(key or "—"), sellers=totals.get(key, 0),
                                             cells={}))
        line.cells[row["task_id"]] = GapCell(totals.get(key, 0), row["flagged"], row["mean_percentile"])
    return lines


def gap_map(*, user: Any, run: AnalysisRun, manager_limit: int = 300) -> GapMap:
    """Critical-task gaps rolled up for the org, by region and by manager, over the sellers `user` may see; and
    the managers whose team's top needs they are not yet equipped to coach."""
    if not can_review_profiles(user):
        raise Http404
    diagnostics = _visible_diagnostics(user, run)
    gaps = SellerTaskGap.objects.filter(run=run, is_critical=True, diagnostic__in=diagnostics)
    aggregates = {"flagged": Count("pk", filter=Q(priority_rank__isnull=False)), "mean_percentile": Avg("percentile")}
    task_ids = set(gaps.values_list("task_id", flat=True).distinct())
    tasks = list(SellingTask.objects.filter(pk__in=task_ids).order_by("position", "name"))
    total = diagnostics.count()
    org_rows = list(gaps.values("task_id").annotate(**aggregates))
    scope = scope_for(user)
    if scope.sees_everyone:
        org_label = "Whole organisation"
    elif scope.has(Role.HR_PARTNER):
        org_label = "Everyone you support"
    else:  # a senior sales leader: the reporting line below them
        org_label = "Your organisation"
    org = GapLine(key="org", label=org_label, sellers=total, cells={
        r["task_id"]: GapCell(total, r["flagged"], r["mean_percentile"]) for r in org_rows
    })
    region_totals = dict(diagnostics.values("region").annotate(n=Count("pk")).values_list("region", "n"))
    region_rows = list(gaps.values("diagnostic__region", "task_id").annotate(**aggregates))
    for r in region_rows:
        r["region"] = r.pop("diagnostic__region")
    regions = sorted(_lines(region_rows, region_totals, "region").values(), key=lambda line: line.label)
    manager_totals = dict(diagnostics.exclude(manager=None).values("manager_id").annotate(n=Count("pk"))
                          .values_list("manager_id", "n"))
    manager_rows = list(gaps.exclude(diagnostic__manager=None).values("diagnostic__manager_id", "task_id")
                        .annotate(**aggregates))
    for r in manager_rows:
        r["manager_id"] = r.pop("diagnostic__manager_id")
    manager_lines = _lines(manager_rows, manager_totals, "manager_id")
    managers_visible = {p.pk: p for p in visible_people(user).filter(pk__in=list(manager_totals))}
    lines = []
    for manager_id, line in manager_lines.items():
        person = managers_visible.get(manager_id)
        if person is None:
            continue  # a manager outside the caller's scope: their sellers still count in regions and the org
        line.person, line.label = person, person.full_name
        lines.append(line)
    lines.sort(key=lambda line: (-max((c.share for c in line.cells.values()), default=0), line.label))
    unequipped = [
        UnequippedManager(manager=managers_visible[m], needs=[n.task.name for n, equipped in items if not equipped],
                          team_size=items[0][0].team_size)
        for m, items in _top_needs(run, list(managers_visible)).items()
        if not all(equipped for _, equipped in items)
    ]
    unequipped.sort(key=lambda u: (-len(u.needs), u.manager.last_name, u.manager.first_name))
    return GapMap(run=run, tasks=tasks, org=org, regions=regions, managers=lines[:manager_limit],
                  unequipped=unequipped, mastery_recorded=mastery_is_recorded())


# ---------------------------------------------------------------------------------------------------------------
# Task library
# ---------------------------------------------------------------------------------------------------------------


def can_view_library(user: Any) -> bool:
    return can_view_situations(user)


def task_library(*, user: Any) -> list[SellingTask]:
    if not can_view_library(user):
        raise Http404
    return list(SellingTask.objects.order_by("-is_active", "position", "name"))


@dataclass
class TaskDetail:
    task: SellingTask
    metrics: list[MetricDefinition]
    evidence: list[TaskEvidence]
    run: AnalysisRun | None = None  # the analysis the evidence comes from


def task_detail(*, user: Any, task_id: int) -> TaskDetail:
    if not can_view_library(user):
        raise Http404
    task = get_object_or_404(SellingTask, pk=task_id)
    run = latest_run()
    evidence = (list(TaskEvidence.objects.filter(run=run, task=task).select_related("situation").order_by("rank"))
                if run else [])
    allowed = _situation_ids_for(user, run) if run else set()
    if allowed is not None:
        evidence = [e for e in evidence if e.situation_id in allowed]
    return TaskDetail(task=task, metrics=[METRICS[k] for k in task.metric_keys if k in METRICS], evidence=evidence,
                      run=run)


def metric_catalogue() -> list[MetricDefinition]:
    return list(METRICS.values())


def value_text(metric_key: str, value: float | None) -> str:
    metric = METRICS.get(metric_key)
    return metric.format(value) if metric else format_value(value, "count")


# ---------------------------------------------------------------------------------------------------------------
# Home page card
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class HomeCard:
    kind: str  # seller | manager | reviewer
    person_id: int
    top_tasks: list[str]
    analysed: bool = False  # an analysis has run
    managers: int = 0  # for a second-line manager: managers below them with a team in the analysis
    managers_not_equipped: int = 0  # ... of whom this many cannot coach yet one of their team's top needs
    period: str = ""  # the latest analysis's period in words, when there is one
    diagnosed: bool = False  # a seller: the latest analysis diagnosed them (no priorities then means none needed)


def home_card(*, user: Any) -> HomeCard | None:
    """What the home page shows about the latest analysis: a manager's team needs, a seller's priorities, or,
    for HR partners and administrators, the way to the gap map."""
    scope = scope_for(user)
    if scope.person_id is None or (scope.is_hr and not scope.has(Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER)):
        return HomeCard("reviewer", scope.person_id or 0, []) if scope.is_hr else None
    run = latest_run()
    if scope.has(Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER):
        card = HomeCard("manager", scope.person_id, [], analysed=run is not None,
                        period=run.period_label if run else "")
        if run is not None:
            card.top_tasks = list(CoachingNeed.objects.filter(run=run, manager_id=scope.person_id).order_by("rank")
                                  .values_list("task__name", flat=True)[:3])
            person = me(user)
            # The same managers the team view lists (those below the person that the person may see).
            below = _org_managers(user, person, run) if person is not None else []
            card.managers = len(below)
            card.managers_not_equipped = sum(1 for line in below if line.not_equipped)
        return card
    if scope.has(Role.SELLER):
        names: list[str] = []
        diagnosed = False
        if run is not None:
            names = list(SellerTaskGap.objects.filter(
                run=run, diagnostic__seller_id=scope.person_id, priority_rank__isnull=False
            ).order_by("priority_rank").values_list("task__name", flat=True))
            diagnosed = bool(names) or SellerDiagnostic.objects.filter(run=run, seller_id=scope.person_id).exists()
        return HomeCard("seller", scope.person_id, names, analysed=run is not None,
                        period=run.period_label if run else "", diagnosed=diagnosed)
    return None
