"""The insights pages: who may open what (scope matrix), what each person sees, forms, htmx fragments, queries."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.urls import reverse

from insights import services
from insights.models import (
    AnalysisRun,
    CoachingNeed,
    SellerDiagnostic,
    SellerSituationOverride,
    SellerTaskGap,
    SellingTask,
    TaskWeightOverride,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def situation_of(analysed, person) -> int:
    return SellerDiagnostic.objects.get(run=analysed.run, seller=person).situation_id


def other_situation(analysed, person) -> int:
    mine = situation_of(analysed, person)
    return analysed.run.situation_results.exclude(situation_id=mine).get().situation_id


# --- scope matrix -----------------------------------------------------------------------------------------------

EVERYONE = ["admin", "vera", "dirk", "nora", "mick", "sam", "hana", "otto"]


@pytest.mark.parametrize(("who", "status"), [
    ("admin", 200), ("vera", 200), ("dirk", 200), ("nora", 200), ("mick", 200), ("hana", 200),
    ("sam", 404), ("otto", 404),
])
def test_situations_list(analysed, login, who, status):
    assert login(who).get("/insights/situations/").status_code == status


@pytest.mark.parametrize(("who", "sam_page", "sid_page"), [
    ("admin", 200, 200), ("vera", 200, 200), ("dirk", 200, 404), ("nora", 200, 404), ("mick", 404, 200),
    ("hana", 200, 404), ("sam", 200, 404), ("sara", 404, 404), ("otto", 404, 404),
])
def test_seller_diagnostic_scope(analysed, login, who, sam_page, sid_page):
    client = login(who)
    assert client.get(f"/insights/sellers/{analysed.company.sam.pk}/").status_code == sam_page
    assert client.get(f"/insights/sellers/{analysed.company.sid.pk}/").status_code == sid_page


@pytest.mark.parametrize(("who", "nora_team", "mick_team"), [
    ("admin", 200, 200), ("vera", 200, 200), ("dirk", 200, 404), ("nora", 200, 404), ("mick", 404, 200),
    ("hana", 200, 404), ("sam", 404, 404), ("otto", 404, 404),
])
def test_manager_team_scope(analysed, login, who, nora_team, mick_team):
    client = login(who)
    assert client.get(f"/insights/managers/{analysed.company.nora.pk}/").status_code == nora_team
    assert client.get(f"/insights/managers/{analysed.company.mick.pk}/").status_code == mick_team


@pytest.mark.parametrize(("who", "gaps", "runs", "rules", "library", "new_task"), [
    ("admin", 200, 200, 200, 200, 200), ("hana", 200, 200, 200, 200, 404), ("vera", 200, 404, 200, 200, 404),
    ("nora", 404, 404, 404, 200, 404), ("sam", 404, 404, 404, 404, 404), ("otto", 404, 404, 404, 404, 404),
])
def test_review_pages_scope(analysed, login, who, gaps, runs, rules, library, new_task):
    client = login(who)
    assert client.get("/insights/gaps/").status_code == gaps
    assert client.get("/insights/runs/").status_code == runs
    assert client.get("/insights/situations/definitions/").status_code == rules
    assert client.get("/insights/tasks/").status_code == library
    assert client.get("/insights/tasks/new/").status_code == new_task


def test_a_manager_opens_only_the_situations_of_their_sellers(analysed, login):
    client = login("nora")
    assert client.get(f"/insights/situations/{situation_of(analysed, analysed.company.sam)}/").status_code == 200
    assert client.get(f"/insights/situations/{other_situation(analysed, analysed.company.sam)}/").status_code == 404
    hana = login("hana")  # HR partners review every profile
    assert hana.get(f"/insights/situations/{other_situation(analysed, analysed.company.sam)}/").status_code == 200


def test_entry_points_redirect_to_the_persons_own_pages(analysed, login):
    assert login("sam").get("/insights/me/").url == f"/insights/sellers/{analysed.company.sam.pk}/"
    assert login("nora").get("/insights/my-team/").url == f"/insights/managers/{analysed.company.nora.pk}/"
    assert login("sam").get("/insights/my-team/").status_code == 404
    assert login("admin").get("/insights/me/").status_code == 404  # no person record


# --- what people see ----------------------------------------------------------------------------------------------


def test_manager_team_view_shows_each_sellers_tasks_gaps_and_what_to_learn(analysed, login,
                                                                           django_assert_max_num_queries):
    client = login("nora")
    with django_assert_max_num_queries(30):
        response = client.get(f"/insights/managers/{analysed.company.nora.pk}/")
    page = text(response)
    assert "Nora Acme's team" in page
    assert "Sam Acme" in page
    assert "Sara Acme" in page
    assert "Sid Acme" not in page
    sam = SellerDiagnostic.objects.get(run=analysed.run, seller=analysed.company.sam)
    top = sam.gaps.filter(priority_rank=1).select_related("task").first()
    assert top is not None
    assert top.task.name in page
    assert " vs " in page  # value against the top-quartile level
    assert "What the team needs" in page
    assert "What you need to be able to coach" in page
    assert "not yet equipped" in page  # nobody has shown mastery in a course that teaches it
    assert "Courses that teach it:" in page
    teaching = response.content.decode().split("Courses that teach it:", 1)[1].split("</p>", 1)[0]
    assert '<a href="/training/courses/' in teaching  # course names open the course page
    assert "Compared with other teams in the same situations" in page


def test_second_line_manager_sees_the_managers_below_them_and_their_needs(analysed, login):
    client = login("dirk")
    response = client.get("/insights/my-team/", follow=True)
    page = text(response)
    assert "Managers in your organisation" in page
    assert "Dirk Acme's organisation" in page  # no sellers of his own: the page is about the teams below him
    section = page.split("Managers in your organisation", 1)[1]
    assert "Nora Acme" in section
    assert "Mick Acme" not in section  # Mick reports to Vera, not to Dirk
    assert "no sellers in the latest analysis" not in page
    top = CoachingNeed.objects.filter(run=analysed.run, manager=analysed.company.nora).order_by("rank").first()
    assert top is not None
    assert top.task.name in section
    assert f'href="/insights/managers/{analysed.company.nora.pk}/"' in response.content.decode()
    vera = text(login("vera").get(f"/insights/managers/{analysed.company.vera.pk}/"))
    assert "Nora Acme" in vera.split("Managers in your organisation", 1)[1]
    assert "Mick Acme" in vera.split("Managers in your organisation", 1)[1]
    assert "Managers in" not in text(login("nora").get("/insights/my-team/", follow=True))
    assert "Your organisation and by region" in text(login("dirk").get("/insights/gaps/"))


def test_seller_diagnostic_shows_priorities_with_reasons(analysed, login):
    page = text(login("sam").get(f"/insights/sellers/{analysed.company.sam.pk}/"))
    sam = SellerDiagnostic.objects.get(run=analysed.run, seller=analysed.company.sam)
    priorities = list(sam.gaps.filter(priority_rank__isnull=False).select_related("task").order_by("priority_rank"))
    assert priorities
    assert "Coaching priorities" in page
    for gap in priorities:
        assert gap.task.name in page
        assert "for the top quartile in" in gap.reason
    assert "Every task against situation peers" in page
    assert "percentile in the situation" in page
    assert "Situation placement" not in page  # sellers cannot move themselves
    assert "Save placement" not in page


def test_seller_task_table_gives_priority_to_critical_tasks_only(analysed, login):
    response = login("sam").get(f"/insights/sellers/{analysed.company.sam.pk}/")
    table = response.content.decode().split('id="h-tasks"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    sam = SellerDiagnostic.objects.get(run=analysed.run, seller=analysed.company.sam)
    gaps = list(sam.gaps.select_related("task"))
    assert any(g.is_critical for g in gaps)
    assert any(not g.is_critical for g in gaps)
    for gap in gaps:
        (row,) = [r for r in rows if htmllib.escape(gap.task.name) in r.split("</th>", 1)[0]]
        last = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1]
        if gap.is_critical:
            assert f"{gap.priority:.2f}" in last
        else:
            assert "—" in last
            assert "Not a critical task" in last
    assert "for the situation's critical tasks only" in text(response)


def test_seller_trend_has_one_point_per_analysis_period(analysed, login):
    first = analysed.run
    again = services.analysis_run_now(actor=None, reason="the same period again")
    earlier = services.analysis_enqueue(actor=None, reason="an earlier period", period_start=first.period_start,
                                        period_end=first.period_end - dt.timedelta(days=92))
    services.analysis_execute(run_id=earlier.pk)
    assert {r.status for r in AnalysisRun.objects.all()} == {"succeeded"}
    response = login("sam").get(f"/insights/sellers/{analysed.company.sam.pk}/")
    html = response.content.decode()
    trend = html.split('id="h-trend"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td>", trend.split("<tbody>", 1)[1], re.S)
    again.refresh_from_db()
    earlier.refresh_from_db()
    assert [htmllib.unescape(r) for r in rows] == [
        f"{earlier.period_start:%-d %b %Y} \u2013 {earlier.period_end:%-d %b %Y}",
        f"{again.period_start:%-d %b %Y} \u2013 {again.period_end:%-d %b %Y}",
    ]
    assert "One point per analysis period" in text(response)


def test_situation_profile_explains_each_weight(analysed, login, django_assert_max_num_queries):
    client = login("hana")
    situation_id = situation_of(analysed, analysed.company.sam)
    with django_assert_max_num_queries(30):
        response = client.get(f"/insights/situations/{situation_id}/")
    page = text(response)
    assert "Critical-task profile" in page
    assert "Top-quartile sellers in this situation" in page
    assert "Override this weight" in page
    html = response.content.decode()
    # Each task's evidence in plain words on the page; the statistician's sentence one click away.
    assert "Here, sellers who do this task better have" in page
    assert "The weight comes mostly from this company's data" in page
    assert "Data's estimate (likely range)" in page
    details = re.findall(r"<details class=\"small\"><summary>About these figures</summary><p>(.*?)</p></details>",
                         html, re.S)
    assert any("95% CI" in d and "The company's data drove this result" in htmllib.unescape(d) for d in details)
    outside = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    assert "standard deviation" not in outside
    assert "95% CI" not in outside
    assert '<svg class="chart" role="img"' in html
    assert "<title id=\"profile-t\">" in html
    assert "Sellers in this situation you support" in page
    nora_page = text(login("nora").get(f"/insights/situations/{situation_id}/"))
    assert "Override this weight" not in nora_page  # managers read, reviewers override


def test_override_from_the_profile_with_htmx(analysed, login):
    client = login("hana")
    situation_id = situation_of(analysed, analysed.company.sam)
    task = SellingTask.objects.get(key="pipeline_hygiene")
    url = reverse("insights:weight_override", args=[situation_id, task.pk])
    response = client.post(url, {f"task{task.pk}-weight": "0.35", f"task{task.pk}-note": "Forecasts matter."},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = text(response)
    assert "Weight set to 0.35 by Hana Acme" in page
    assert "a new analysis is queued" in page
    override = TaskWeightOverride.objects.get()
    assert override.note == "Forecasts matter."
    assert override.author == analysed.company.hana.user
    assert AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).exists()
    missing_note = client.post(url, {f"task{task.pk}-weight": "0.2"}, HTTP_HX_REQUEST="true")
    assert "This field is required" in text(missing_note)
    assert TaskWeightOverride.objects.count() == 1
    assert login("nora").post(url, {f"task{task.pk}-weight": "0.2", f"task{task.pk}-note": "x"}).status_code == 404


def test_seller_placement_form(analysed, login):
    client = login("vera")
    target = other_situation(analysed, analysed.company.sam)
    response = client.post(f"/insights/sellers/{analysed.company.sam.pk}/placement/",
                           {"situation": target, "reason": "New territory from April."}, follow=True)
    assert "will be placed in" in text(response)
    row = SellerSituationOverride.objects.get()
    assert row.situation_id == target
    assert row.author == analysed.company.vera.user
    assert "Placed in" in text(client.get(f"/insights/sellers/{analysed.company.sam.pk}/"))
    denied = login("nora").post(f"/insights/sellers/{analysed.company.sam.pk}/placement/",
                                {"situation": target, "reason": "x"})
    assert denied.status_code == 404
    outsider = login("hana").post(f"/insights/sellers/{analysed.company.sid.pk}/placement/",
                                  {"situation": target, "reason": "x"})
    assert outsider.status_code == 404
    assert SellerSituationOverride.objects.count() == 1


def test_gap_map_rolls_up_by_region_and_manager(analysed, login, django_assert_max_num_queries):
    client = login("admin")
    with django_assert_max_num_queries(25):
        response = client.get("/insights/gaps/")
    page = text(response)
    assert "Whole organisation" in page
    assert "North" in page
    assert "South" in page
    assert "Nora Acme" in page
    assert "Mick Acme" in page
    assert "Managers not yet equipped to coach their team's needs" in page
    unequipped = page.split("Managers not yet equipped to coach their team's needs")[1]
    assert "Nora Acme" in unequipped
    assert "Mick Acme" in unequipped
    hana = text(login("hana").get("/insights/gaps/"))
    assert "Nora Acme" in hana
    assert "Mick Acme" not in hana


def test_gap_map_names_the_hr_partners_scope_not_the_whole_organisation(analysed, login):
    page = text(login("hana").get("/insights/gaps/"))
    assert "Everyone you support and by region" in page
    assert "Whole organisation" not in page



def test_runs_page_starts_an_analysis_and_polls_progress(analysed, login, settings):
    client = login("hana")
    response = client.post("/insights/runs/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    run = AnalysisRun.objects.filter(status=AnalysisRun.Status.QUEUED).get()
    assert run.requested_by == analysed.company.hana.user
    assert run.reason == "on demand"
    assert 'hx-trigger="every 2s"' in response.content.decode()
    status = client.get(f"/insights/runs/{run.pk}/status/", HTTP_HX_REQUEST="true")
    assert "Queued" in text(status)
    bad = client.post("/insights/runs/", {"period_start": "2025-06-01", "period_end": "2025-01-01"})
    assert bad.status_code == 422
    assert "ends" in text(bad)
    assert login("vera").post("/insights/runs/", {}).status_code == 404


def test_rule_definition_form(analysed, login):
    client = login("hana")
    data = {"name": "Big books", "description": "", "priority": "10", "is_active": "on",
            "c-TOTAL_FORMS": "3", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "3", "c-MAX_NUM_FORMS": "8",
            "c-0-feature": "accounts", "c-0-op": "gt", "c-0-value": "100",
            "c-1-feature": "", "c-1-op": "gt", "c-1-value": "", "c-2-feature": "", "c-2-op": "gt", "c-2-value": ""}
    response = client.post("/insights/situations/definitions/", data, follow=True)
    assert "Situation “Big books” saved" in text(response)
    assert "Accounts owned more than 100" in text(response)
    data["name"], data["c-0-value"] = "Broken", "lots"
    bad = client.post("/insights/situations/definitions/", data)
    assert bad.status_code == 422
    assert "'lots' is not a number" in text(bad)


def test_library_pages_and_admin_editing(analysed, login):
    page = text(login("nora").get("/insights/tasks/"))
    assert "Territory and account coverage" in page
    assert "Accounts touched each quarter" in page
    # The short credit, linking to the full attribution on the About page.
    assert "Task descriptions adapted from O*NET, CC BY 4.0" in page
    assert "O*NET 29.3" in text(login("nora").get("/about/"))
    assert "Add a task" not in page
    task = SellingTask.objects.get(key="account_coverage")
    detail = text(login("nora").get(f"/insights/tasks/{task.pk}/"))
    assert "What a manager can coach" in detail
    assert "Where it matters" in detail
    admin = login("admin")
    form = {"name": "Referrals", "key": "referrals", "definition": "Asking for introductions.",
            "behaviours": "Asks every happy customer\nFollows up in a week", "coaching_focus": "Role-play it.",
            "metric_keys": ["new_opportunities_per_quarter"], "kind": "behaviour", "prior_weight": "0.1",
            "prior_source": "Team survey", "is_active": "on"}
    response = admin.post("/insights/tasks/new/", form, follow=True)
    assert "“Referrals” added to the library" in text(response)
    created = SellingTask.objects.get(key="referrals")
    assert created.behaviours == ["Asks every happy customer", "Follows up in a week"]
    form["prior_weight"] = "7"
    bad = admin.post(f"/insights/tasks/{created.pk}/edit/", form)
    assert bad.status_code == 422
    assert login("hana").post(f"/insights/tasks/{created.pk}/edit/", form).status_code == 404


def test_pages_before_any_analysis_say_so(company, login):
    page = text(login("nora").get(f"/insights/managers/{company.nora.pk}/"))
    assert "No analysis yet" in page
    assert "No analysis yet" in text(login("hana").get("/insights/situations/"))


def test_home_card_and_navigation(analysed, login):
    nora = login("nora").get("/")
    page = text(nora)
    assert "Your team's coaching needs" in page
    assert f'href="/insights/managers/{analysed.company.nora.pk}/"' in nora.content.decode()
    assert ">Insights<" in nora.content.decode()
    sam = login("sam").get("/")
    assert "Your coaching priorities" in text(sam)
    assert ">My diagnostic<" in sam.content.decode()
    assert ">Insights<" not in sam.content.decode()
    assert ">Insights<" not in login("otto").get("/").content.decode()
    hana = text(login("hana").get("/"))
    assert "Coaching needs across your managers" in hana
    assert "Open the skill-gap map" in hana
    assert "Coaching needs across your managers" not in text(login("otto").get("/"))
    dirk = text(login("dirk").get("/"))  # a second-line manager: no sellers of his own, Nora's team below him
    assert "Coaching needs across your managers" in dirk
    assert "1 manager below you; 1 not yet equipped to coach one of their team's top needs" in dirk
    assert "No team analysis yet" not in dirk
    assert "Open your organisation's view" in dirk
    assert "manager below you" not in page  # Nora has nobody below her


def test_insights_root_sends_each_person_to_their_page(analysed, login):
    assert login("hana").get("/insights/").url == "/insights/situations/"
    assert login("sam").get("/insights/").url == f"/insights/sellers/{analysed.company.sam.pk}/"
    assert login("otto").get("/insights/").url == f"/insights/sellers/{analysed.company.otto.pk}/"


def test_every_page_with_analysis_results_names_its_period(analysed, login):
    run = analysed.run
    assert run.period_label == "1 Jan 2025 \u2013 31 Dec 2025"
    company = analysed.company
    sid = situation_of(analysed, company.sam)
    task = SellingTask.objects.get(pk=run.evidence.values_list("task_id", flat=True).first())
    pages = {
        "hana": ["/insights/situations/", f"/insights/situations/{sid}/", "/insights/gaps/", "/insights/runs/",
                 f"/insights/tasks/{task.pk}/", f"/insights/sellers/{company.sam.pk}/",
                 f"/insights/managers/{company.nora.pk}/"],
        "nora": ["/", f"/insights/managers/{company.nora.pk}/"],
        "sam": ["/", f"/insights/sellers/{company.sam.pk}/"],
    }
    for who, urls in pages.items():
        client = login(who)
        for url in urls:
            assert run.period_label in text(client.get(url)), (who, url)


def test_a_seller_with_no_gap_to_prioritise_is_told_so_plainly(analysed, login):
    """The home said 'Nothing to prioritise yet' where the diagnostic said every critical task is at or above
    the top quartile; both now say the latter."""
    sam = analysed.company.sam
    SellerTaskGap.objects.filter(run=analysed.run, diagnostic__seller=sam).update(priority_rank=None, gap=0.0)
    home = text(login("sam").get("/"))
    assert "Every critical task in this situation is at or above the top quartile of peers" in home
    assert "Nothing to prioritise yet" not in home
    diagnostic = text(login("sam").get(f"/insights/sellers/{sam.pk}/"))
    assert "Every critical task in this situation is at or above the top quartile of peers" in diagnostic
    SellerDiagnostic.objects.filter(run=analysed.run, seller=sam).delete()
    assert "your results have not been analysed" in text(login("sam").get("/"))


def test_every_coloured_chart_and_map_has_a_legend_in_words(analysed, login):
    """Colour is never the only key: each chart with coloured marks, and the shaded gap map, is followed by a
    legend that says in words what each colour means."""
    situation_id = situation_of(analysed, analysed.company.sam)
    pages = {"seller": (login("sam").get(f"/insights/sellers/{analysed.company.sam.pk}/"),
                        ["top quarter of peers", "middle half", "bottom quarter", "a critical task"])}
    hana = login("hana")
    pages["situation"] = (hana.get(f"/insights/situations/{situation_id}/"),
                          ["critical", "weight set by a reviewer", "the top quarter's typical value",
                           "the bottom quarter's"])
    pages["gap map"] = (hana.get("/insights/gaps/"), ["nobody", "under 13%", "38% or more"])
    for name, (response, entries) in pages.items():
        html = response.content.decode()
        assert 'class="legend"' in html, name
        legends = " ".join(part.split("</ul>", 1)[0] for part in html.split('class="legend"')[1:])
        for entry in entries:
            assert entry in legends, (name, entry)
