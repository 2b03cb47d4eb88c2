"""The shipped task library: priors grounded in O*NET, checked against the reference files when present."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from insights.library import (
    DEFAULT_TASKS,
    LARGEST_META_ANALYTIC_BETA,
    ONET_SKILLS,
    ONET_TASKS,
    install_defaults,
    prior_weight_from_importance,
)
from insights.metrics import METRICS
from insights.models import SellingTask

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def test_prior_scale():
    assert prior_weight_from_importance(5.0) == LARGEST_META_ANALYTIC_BETA
    assert prior_weight_from_importance(1.0) == 0.0
    assert prior_weight_from_importance(4.0) == pytest.approx(0.21)


def test_every_default_task_is_complete():
    keys = [t.key for t in DEFAULT_TASKS]
    assert len(keys) == len(set(keys))
    for task in DEFAULT_TASKS:
        assert task.behaviours
        assert task.coaching_focus
        assert task.definition
        assert task.metric_keys
        assert all(k in METRICS for k in task.metric_keys)
        assert all(METRICS[k].task_key == task.key for k in task.metric_keys)
        assert task.onet_task_ids
        assert all(t in ONET_TASKS for t in task.onet_task_ids)
        assert all(s in ONET_SKILLS for s in task.skill_ids)
        assert 0.15 < task.prior_weight < 0.28


def test_planted_behaviours_are_library_keys():
    behaviours = {"prospecting", "account_coverage", "multithreading", "discovery", "qualification", "follow_up",
                  "negotiation", "expansion", "pipeline_hygiene", "activity_volume"}
    assert behaviours <= {t.key for t in DEFAULT_TASKS}


@pytest.mark.skipif(not (REFERENCE / "onet").exists(), reason="the shared O*NET reference files are not here")
def test_ratings_match_the_onet_reference():
    with (REFERENCE / "onet" / "onet_29_3_sales_task_ratings.csv").open() as f:
        rows = {(r["onet_soc_code"], r["task_id"]): r for r in csv.DictReader(f)}
    for task_id, (soc, importance, statement) in ONET_TASKS.items():
        row = rows[(soc, task_id)]
        assert float(row["importance_im_1to5"]) == pytest.approx(importance), task_id
        assert row["task"] == statement, task_id
    with (REFERENCE / "onet" / "onet_29_3_sales_skills.csv").open() as f:
        skills = {(r["onet_soc_code"], r["element_id"]): r["skill"] for r in csv.DictReader(f)}
    for element, name in ONET_SKILLS.items():
        assert skills[("11-2022.00", element)] == name


@pytest.mark.django_db
def test_install_defaults_restores_missing_tasks_and_keeps_edits():
    SellingTask.objects.filter(key="discovery").delete()
    SellingTask.objects.filter(key="prospecting").update(prior_weight=0.5)
    created, updated = install_defaults(SellingTask)
    assert (created, updated) == (1, 0)
    assert SellingTask.objects.get(key="prospecting").prior_weight == 0.5
    created, updated = install_defaults(SellingTask, overwrite=True)
    assert created == 0
    assert updated == len(DEFAULT_TASKS)
    assert SellingTask.objects.get(key="prospecting").prior_weight < 0.28
