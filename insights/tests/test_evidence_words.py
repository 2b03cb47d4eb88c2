"""The situation page's plain words for a task's evidence (selectors.EvidenceRow.plain_explanation): which way the
task goes with success, how sure the data is and what set the weight, without the statistician's terms, which stay
in the analysis's own explanation (shown one click away)."""

from __future__ import annotations

from insights.analysis.pipeline import NOT_CRITICAL_UNPROVEN
from insights.metrics import METRICS
from insights.models import TaskEvidence
from insights.selectors import EvidenceRow

TECHNICAL = ("One standard deviation better on this task goes with 0.62 standard deviations higher attainment "
             "(95% CI 0.20 to 1.04; 40 sellers), with tenure and the other tasks held constant.")


def row(**fields: object) -> EvidenceRow:
    values: dict[str, object] = {
        "effect": 0.62, "ci_low": 0.20, "ci_high": 1.04, "seller_count": 40, "prior_weight": 0.2,
        "data_share": 0.81, "weight": 0.5, "driven_by": TaskEvidence.DrivenBy.DATA, "top_quartile": 0.8,
        "bottom_quartile": 0.4, "explanation": TECHNICAL,
    }
    values.update(fields)
    return EvidenceRow(evidence=TaskEvidence(**values), metric=METRICS["stale_open_share"], override=None,
                       override_history=[], outcome_label="attainment")


def test_a_clear_data_driven_effect_in_plain_words():
    words = row().plain_explanation
    assert words.startswith("Top-quartile sellers in this situation ")
    assert "Here, sellers who do this task better have much higher attainment, comparing 40 sellers" in words
    assert "The data shows this clearly." in words
    assert "The weight comes mostly from this company's data (81% of it)." in words
    for jargon in ("standard deviation", "CI", "prior", "blend"):
        assert jargon not in words, jargon


def test_an_uncertain_small_negative_effect_led_by_the_library_keeps_the_not_critical_reason():
    words = row(effect=-0.12, ci_low=-0.5, ci_high=0.26, driven_by=TaskEvidence.DrivenBy.PRIOR,
                explanation=TECHNICAL + NOT_CRITICAL_UNPROVEN).plain_explanation
    assert "have slightly lower attainment" in words
    assert "The data cannot yet tell this apart from chance." in words
    assert "from the task library's starting weight" in words
    assert words.endswith(NOT_CRITICAL_UNPROVEN)


def test_without_an_estimate_the_analysis_words_are_already_plain():
    said = "Only 6 sellers in this situation have an outcome, so the weight is the task library's starting weight."
    assert row(effect=None, ci_low=None, ci_high=None, explanation=said).plain_explanation == said
