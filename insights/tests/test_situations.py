"""Situations: rules, clustering that assigns everyone, plain-word descriptions, and stable identity across runs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insights.analysis import situations as sit
from insights.analysis.frame import SellerFrame
from insights.analysis.pipeline import assign_situations
from insights.analysis.types import Condition, EngineInputs, ProposedSpec, RuleSpec
from insights.metrics import Period

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31))

BLOBS = {
    # accounts, deal size, cycle days, new share, opportunities a year
    "territory": (300, 15_000, 45, 0.55, 120),
    "key": (10, 180_000, 190, 0.2, 16),
    "inside": (700, 4_500, 18, 0.65, 300),
}


def frame_of(groups: dict[str, int], seed: int = 1) -> tuple[SellerFrame, list[str]]:
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for name, count in groups.items():
        accounts, deal, cycle, new, volume = BLOBS[name]
        for _ in range(count):
            truth.append(name)
            rows.append({
                "person_id": len(rows) + 1,
                "feature_accounts": accounts * rng.lognormal(0, 0.15),
                "feature_deal_size": deal * rng.lognormal(0, 0.15),
                "feature_cycle_days": cycle * rng.lognormal(0, 0.15),
                "feature_new_business_share": min(1.0, max(0.0, new + rng.normal(0, 0.05))),
                "feature_opportunities_per_year": volume * rng.lognormal(0, 0.15),
                "segment": "Enterprise" if name == "key" else "SMB",
                "region": "North" if len(rows) % 2 else "South",
                "job_title": "Key Account Manager" if name == "key" else "Account Executive",
            })
    return SellerFrame.from_rows(rows), truth


def inputs(**kw) -> EngineInputs:
    return EngineInputs(period=PERIOD, sellers={}, tasks=[], **kw)


def test_numeric_and_text_conditions():
    frame, _ = frame_of({"territory": 3, "key": 3})
    big = RuleSpec(1, "Big books, small deals",
                   (Condition("accounts", "gt", 100), Condition("deal_size", "lt", 20_000)))
    assert sit.rule_mask(frame, big).tolist() == [True] * 3 + [False] * 3
    key = RuleSpec(2, "Key accounts", (Condition("job_title", "contains", "key account"),))
    assert sit.rule_mask(frame, key).tolist() == [False] * 3 + [True] * 3
    enterprise = RuleSpec(3, "Enterprise", (Condition("segment", "eq", "enterprise"),))
    assert sit.rule_mask(frame, enterprise).sum() == 3
    not_north = RuleSpec(4, "Not north", (Condition("region", "ne", "North"),))
    assert sit.rule_mask(frame, not_north).sum() == 3


def test_a_seller_without_the_feature_never_matches():
    frame = SellerFrame.from_rows([{"person_id": 1, "feature_accounts": None, "segment": None},
                                   {"person_id": 2, "feature_accounts": 50.0, "segment": "SMB"}])
    assert sit.rule_mask(frame, RuleSpec(1, "r", (Condition("accounts", "lt", 100),))).tolist() == [False, True]
    assert sit.rule_mask(frame, RuleSpec(1, "r", (Condition("segment", "ne", "x"),))).tolist() == [False, True]
    assert sit.rule_mask(frame, RuleSpec(1, "r", (Condition("deal_size", "gt", 1),))).tolist() == [False, False]


def test_unknown_operator_is_refused():
    frame, _ = frame_of({"territory": 2})
    with pytest.raises(ValueError, match="Unknown operator"):
        sit.rule_mask(frame, RuleSpec(1, "r", (Condition("accounts", "about", 1),)))


def test_clustering_finds_the_books_and_assigns_everyone():
    frame, truth = frame_of({"territory": 40, "key": 25, "inside": 35})
    situations, how = assign_situations(frame, inputs())
    assert sum(len(s.members) for s in situations) == frame.n
    assert set(how) == {"cluster"}
    assert len(situations) == 3
    for s in situations:
        labels = {truth[i] for i in s.members}
        assert len(labels) == 1, (s.name, labels)
        assert s.situation_id is None
        assert s.kind == "proposed"
    names = [s.name for s in situations]
    assert len(set(names)) == 3
    key = next(s for s in situations if truth[s.members[0]] == "key")
    assert "few accounts" in key.name.lower() or "large deals" in key.name.lower()
    assert key.summary.startswith("About 10 accounts, 180k deals")
    assert "mostly Enterprise" in key.summary


def test_no_structure_means_one_situation():
    rng = np.random.default_rng(5)
    rows = [{"person_id": i, "feature_accounts": float(rng.uniform(50, 60)),
             "feature_deal_size": float(rng.uniform(10_000, 11_000))} for i in range(60)]
    situations, _ = assign_situations(SellerFrame.from_rows(rows), inputs())
    assert len(situations) == 1
    assert situations[0].name == "All sellers"
    assert len(situations[0].members) == 60


def test_override_beats_rule_beats_cluster():
    frame, _truth = frame_of({"territory": 30, "key": 30})
    rule = RuleSpec(7, "Key accounts", (Condition("job_title", "contains", "key account"),))
    override_person = 1  # a territory seller placed in the key-accounts situation by hand
    situations, how = assign_situations(frame, inputs(rules=[rule], seller_overrides={override_person: 7}))
    key = next(s for s in situations if s.situation_id == 7)
    assert key.by_rule == 30
    assert key.by_override == 1
    assert key.by_cluster == 0
    assert 0 in key.members
    assert how[0] == "override"
    rest = [s for s in situations if s.situation_id != 7]
    assert sum(len(s.members) for s in rest) == 29
    assert all(how[i] == "cluster" for s in rest for i in s.members)


def test_an_override_to_an_unknown_situation_is_ignored():
    frame, _ = frame_of({"territory": 20})
    situations, how = assign_situations(frame, inputs(seller_overrides={1: 999}))
    assert how[0] == "cluster"
    assert all(s.situation_id != 999 for s in situations)


def test_proposed_situations_keep_their_identity_across_runs():
    frame, truth = frame_of({"territory": 40, "key": 25, "inside": 35})
    first, _ = assign_situations(frame, inputs())
    earlier = [ProposedSpec(situation_id=100 + i, name=f"Renamed {i}", centroid=s.centroid)
               for i, s in enumerate(first)]
    frame2, truth2 = frame_of({"territory": 42, "key": 24, "inside": 33}, seed=2)
    second, _ = assign_situations(frame2, inputs(proposed=earlier))
    assert {s.situation_id for s in second} == {100, 101, 102}
    for s in second:
        before = next(f for f in first if 100 + first.index(f) == s.situation_id)
        assert truth2[s.members[0]] == truth[before.members[0]]
        assert s.name.startswith("Renamed")


def test_book_summary_in_plain_words():
    text = sit.book_summary({"accounts": 312.0, "deal_size": 12_345.0, "cycle_days": 44.6,
                             "new_business_share": 0.31, "opportunities_per_year": 118.0}, "SMB")
    assert text == "About 310 accounts, 12k deals, 45-day cycle, 30% new business, 120 opportunities a year, mostly SMB"
    assert sit.book_summary({}) == "No book features in the data"
    assert sit.money_words(1_250_000) == "1.2M"
    assert sit.money_words(4_480) == "4.5k"


UNEVEN = {
    **BLOBS,
    # Near the territory books (about two spreads away on each feature), far from the key accounts: choosing k
    # for the whole sales force at once (Calinski-Harabasz) merged it with the territory books.
    "mid": (420, 10_000, 32, 0.6, 160),
}


def uneven_frame(groups: dict[str, int], seed: int = 1) -> tuple[SellerFrame, list[str]]:
    original = dict(BLOBS)
    BLOBS.update(UNEVEN)
    try:
        return frame_of(groups, seed)
    finally:
        BLOBS.clear()
        BLOBS.update(original)


def test_a_far_away_kind_of_book_does_not_merge_the_nearer_ones():
    frame, truth = uneven_frame({"key": 40, "territory": 60, "mid": 60})
    situations, _ = assign_situations(frame, inputs())
    assert len(situations) == 3
    found = set()
    for s in situations:
        kinds = [truth[i] for i in s.members]
        main = max(set(kinds), key=kinds.count)
        assert kinds.count(main) >= 0.95 * len(kinds), (s.name, kinds)  # k-means may misplace a border seller
        found.add(main)
        assert s.mixed == ""
    assert found == {"key", "territory", "mid"}
    # Same data, same situations, run after run.
    again, _ = assign_situations(frame, inputs())
    assert [(s.name, s.members) for s in again] == [(s.name, s.members) for s in situations]


def test_a_rule_that_pools_two_kinds_of_book_is_flagged_as_mixed():
    frame, truth = uneven_frame({"territory": 50, "mid": 50})
    everyone = RuleSpec(9, "Everyone", (Condition("accounts", "gt", 0),))
    situations, _ = assign_situations(frame, inputs(rules=[everyone]))
    (pooled,) = situations
    assert pooled.kind == "rule"
    assert pooled.mixed.startswith("These sellers may have two different kinds of book: ")
    assert "Consider defining a rule" in pooled.mixed
    assert pooled.features["mixed"] == pooled.mixed
    assert pooled.book_groups is not None
    # The groups are the two kinds (k-means may misplace a seller on the border).
    assert sorted(set(pooled.book_groups.tolist())) == [0, 1]
    for g in (0, 1):
        kinds = [truth[pooled.members[i]] for i in np.flatnonzero(pooled.book_groups == g)]
        assert max(kinds.count(k) for k in set(kinds)) >= 0.95 * len(kinds), kinds


def test_bimodal_account_counts_alone_make_a_situation_look_mixed():
    rng = np.random.default_rng(4)
    rows = [{"person_id": i, "feature_accounts": float(rng.lognormal(np.log(40 if i % 2 else 400), 0.1)),
             "feature_deal_size": float(rng.lognormal(np.log(20_000), 0.3))} for i in range(80)]
    frame = SellerFrame.from_rows(rows)
    mixed = sit.mixed_book(frame, np.arange(80), seed=1, tested=True)
    assert mixed is not None
    assert "accounts falls into 2 groups (about 40 and about 400)" in mixed.warning
    assert sorted(np.bincount(mixed.groups).tolist()) == [40, 40]


def test_one_kind_of_book_with_an_even_spread_is_not_mixed():
    rng = np.random.default_rng(6)
    rows = [{"person_id": i, "feature_accounts": float(rng.integers(250, 401)),
             "feature_deal_size": float(rng.lognormal(np.log(15_000), 0.1)),
             "feature_cycle_days": float(rng.lognormal(np.log(45), 0.1))} for i in range(200)]
    frame = SellerFrame.from_rows(rows)
    assert sit.mixed_book(frame, np.arange(200), seed=1) is None
    situations, _ = assign_situations(frame, inputs())
    assert len(situations) == 1
    assert situations[0].mixed == ""
