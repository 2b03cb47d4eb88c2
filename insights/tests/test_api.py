"""The insights API: the same scope as the pages, by token; bodies that carry the evidence."""

from __future__ import annotations

import pytest

from insights import services
from insights.models import AnalysisRun, SellerDiagnostic

pytestmark = pytest.mark.django_db


def test_situations_list_by_role(analysed, api_as):
    body = api_as("hana").get("/api/v1/insights/situations").json()
    assert body["run"]["id"] == analysed.run.pk
    assert body["run"]["outcome"] == "attainment"
    assert len(body["items"]) == 2
    first = body["items"][0]
    assert first["summary"].startswith("About")
    assert first["critical_tasks"]
    assert {"task_key", "task_name", "rank", "weight"} <= set(first["critical_tasks"][0])
    nora = api_as("nora").get("/api/v1/insights/situations").json()
    assert len(nora["items"]) == 1  # only the situation her sellers are in
    assert api_as("sam").get("/api/v1/insights/situations").status_code == 404
    assert api_as("otto").get("/api/v1/insights/situations").status_code == 404


def test_profile_carries_the_evidence(analysed, api_as):
    situation_id = SellerDiagnostic.objects.get(run=analysed.run, seller=analysed.company.sam).situation_id
    body = api_as("vera").get(f"/api/v1/insights/situations/{situation_id}").json()
    assert body["situation"]["id"] == situation_id
    tasks = body["tasks"]
    assert [t["rank"] for t in tasks] == sorted(t["rank"] for t in tasks)
    critical = [t for t in tasks if t["is_critical"]]
    assert critical
    top = critical[0]
    assert top["driven_by"] == "data"
    assert top["ci_low"] < top["effect"] < top["ci_high"]
    assert top["seller_count"] > 0
    assert "Top-quartile sellers in this situation" in top["explanation"]
    other = analysed.run.situation_results.exclude(situation_id=situation_id).get().situation_id
    assert api_as("nora").get(f"/api/v1/insights/situations/{other}").status_code == 404
    assert api_as("nora").get("/api/v1/insights/situations/999999").status_code == 404


def test_seller_diagnostic_scope_and_body(analysed, api_as):
    sam = analysed.company.sam
    body = api_as("sam").get(f"/api/v1/insights/sellers/{sam.pk}").json()
    assert body["person"] == {"id": sam.pk, "full_name": "Sam Acme"}
    assert body["situation"]["name"]
    assert body["priorities"]
    assert [p["priority_rank"] for p in body["priorities"]] == list(range(1, len(body["priorities"]) + 1))
    assert body["priorities"][0]["reason"]
    assert body["tasks"][0]["value_text"]
    for who, status in [("nora", 200), ("dirk", 200), ("hana", 200), ("mick", 404), ("sara", 404), ("otto", 404)]:
        assert api_as(who).get(f"/api/v1/insights/sellers/{sam.pk}").status_code == status, who
    error = api_as("otto").get(f"/api/v1/insights/sellers/{sam.pk}").json()["error"]
    assert error["code"] == "not_found"


def test_manager_needs(analysed, api_as):
    nora = analysed.company.nora
    body = api_as("nora").get(f"/api/v1/insights/managers/{nora.pk}/needs").json()
    assert body["manager"]["full_name"] == "Nora Acme"
    assert body["needs"]
    need = body["needs"][0]
    assert need["rank"] == 1
    assert need["reason"]
    assert need["coaching_focus"]
    assert need["equipped"] is False
    assert {s["full_name"] for s in need["sellers"]} <= {p.full_name for p in analysed.sellers}
    assert body["comparisons"]
    for who, status in [("dirk", 200), ("hana", 200), ("vera", 200), ("mick", 404), ("sam", 404), ("otto", 404)]:
        assert api_as(who).get(f"/api/v1/insights/managers/{nora.pk}/needs").status_code == status, who


def test_starting_a_run(analysed, api_as, settings):
    response = api_as("hana").post("/api/v1/insights/runs")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert AnalysisRun.objects.get(pk=body["id"]).reason == "on demand (API)"
    assert api_as("hana").get(f"/api/v1/insights/runs/{body['id']}").json()["status"] == "queued"
    assert api_as("vera").post("/api/v1/insights/runs").status_code == 404
    assert api_as("vera").get(f"/api/v1/insights/runs/{body['id']}").status_code == 404


def test_no_analysis_yet(company, api_as):
    body = api_as("hana").get("/api/v1/insights/situations").json()
    assert body == {"run": None, "items": []}
    sam = api_as("sam").get(f"/api/v1/insights/sellers/{company.sam.pk}").json()
    assert sam["run"] is None
    assert sam["situation"] is None
    assert sam["priorities"] == []


def test_the_run_block_counts_only_the_sellers_the_caller_may_see(analysed, api_as):
    run, company = analysed.run, analysed.company
    assert run.data_notes, "the analysis wrote notes about the data"
    # A manager of another function, on their own diagnostic: no sales fact at all.
    body = api_as("otto").get(f"/api/v1/insights/sellers/{company.otto.pk}").json()
    assert body["run"]["id"] == run.pk
    assert body["run"]["seller_count"] == 0
    assert body["run"]["notes"] == []
    assert body["situation"] is None
    assert body["tasks"] == []
    # A seller reads about themselves only.
    sam = api_as("sam").get(f"/api/v1/insights/sellers/{company.sam.pk}").json()["run"]
    assert sam["seller_count"] == 1
    assert not set(sam["notes"]) & set(run.data_notes)
    # A sales manager gets their team's figures, not the company's.
    team = SellerDiagnostic.objects.filter(run=run, seller__manager=company.nora)
    nora = api_as("nora").get(f"/api/v1/insights/managers/{company.nora.pk}/needs").json()["run"]
    assert 0 < nora["seller_count"] == team.count() < run.seller_count
    ramping = team.filter(is_ramping=True).count()
    assert nora["notes"] == ([f"{ramping} of the sellers you may see {'are' if ramping != 1 else 'is'} still "
                              "ramping: they get diagnostics, but their results do not count in the evidence yet."]
                             if ramping else [])
    # The same on the situations list, and the administrator reads the run as the analysis wrote it.
    assert api_as("nora").get("/api/v1/insights/situations").json()["run"]["seller_count"] == team.count()
    admin = api_as("admin").get("/api/v1/insights/situations").json()["run"]
    assert admin["seller_count"] == run.seller_count
    assert admin["notes"] == run.data_notes


def test_a_situation_that_looks_mixed_says_so_with_the_suggestion_to_define_a_rule(analysed, api_as):
    # The two proposed situations each hold one kind of book: neither looks mixed.
    before = api_as("hana").get("/api/v1/insights/situations").json()["items"]
    assert [item["possibly_mixed"] for item in before] == [None, None]
    # A rule that takes everyone pools territory and inside-sales books into one situation.
    services.situation_rule_save(actor=None, name="Everyone", description="", priority=1,
                                 conditions=[{"feature": "accounts", "op": "gt", "value": 0}])
    run = services.analysis_run_now(actor=None, reason="test")
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    (result,) = run.situation_results.all()
    assert result.features["mixed"]

    (pooled,) = api_as("hana").get("/api/v1/insights/situations").json()["items"]
    mixed = pooled["possibly_mixed"]
    assert mixed["warning"] == result.features["mixed"]  # the words the pages show
    assert mixed["warning"].startswith("These sellers may have two different kinds of book: ")
    assert "Consider defining a rule that separates them" in mixed["warning"]
    assert mixed["suggestion"] == "define_rule"
    assert mixed["define_rules_url"] == "/insights/situations/definitions/"
    profile = api_as("vera").get(f"/api/v1/insights/situations/{pooled['id']}").json()
    assert profile["situation"]["possibly_mixed"]["warning"] == mixed["warning"]
    assert profile["situation"]["possibly_mixed"]["define_rules_url"] == mixed["define_rules_url"]
    # A manager is told too, but may not define situations, so gets no link to that page.
    (nora,) = api_as("nora").get("/api/v1/insights/situations").json()["items"]
    assert nora["possibly_mixed"]["warning"] == mixed["warning"]
    assert nora["possibly_mixed"]["define_rules_url"] is None
    # Sellers and people outside sales still get nothing.
    assert api_as("sam").get(f"/api/v1/insights/situations/{pooled['id']}").status_code == 404
    assert api_as("otto").get("/api/v1/insights/situations").status_code == 404
