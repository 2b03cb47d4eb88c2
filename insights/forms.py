"""Forms of the insights pages: typed input for the services, with errors that name the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from insights.metrics import METRICS
from insights.models import SellingTask, Situation
from insights.services import RULE_FEATURES, RULE_OPERATORS, TaskData


class RunForm(forms.Form):
    period_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text="Leave both empty for the last four complete quarters of the data.")
    period_end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", f"The period ends ({end}) before it starts ({start}).")
        return data


class WeightOverrideForm(forms.Form):
    weight = forms.FloatField(required=False, min_value=-1.0, max_value=1.0, label="Weight",
                              help_text="-1 to 1 on the same scale as the evidence. Leave empty and tick "
                              "\"back to the evidence\" to remove an override.")
    clear = forms.BooleanField(required=False, label="Back to the evidence")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="Note",
        help_text="Why the weight should differ from the evidence. Kept with your name and the date.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("clear") and data.get("weight") is None and "weight" not in self.errors:
            self.add_error("weight", "Give a weight, or tick \"back to the evidence\".")
        return data


class SellerPlacementForm(forms.Form):
    situation = forms.ModelChoiceField(queryset=Situation.objects.none(), required=False,
                                       empty_label="Automatic (rules, then proposed situations)")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why",
                             help_text="Kept with your name and the date.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["situation"].queryset = Situation.objects.filter(is_active=True).order_by("kind", "name")  # type: ignore[attr-defined]


class SituationRuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.IntegerField(min_value=0, max_value=32_000, initial=100,
                                  help_text="Rules are checked from the lowest number up; a seller gets the first "
                                  "rule they match.")
    is_active = forms.BooleanField(required=False, initial=True, label="In use")


class ConditionForm(forms.Form):
    feature = forms.ChoiceField(choices=[("", "—"), *RULE_FEATURES.items()], required=False)
    op = forms.ChoiceField(choices=list(RULE_OPERATORS.items()), required=False, label="Comparison")
    value = forms.CharField(required=False, max_length=200)


ConditionFormSet = formset_factory(ConditionForm, extra=0, min_num=3, max_num=8)


def conditions_from(formset: Any) -> list[dict[str, Any]]:
    return [
        {"feature": f.cleaned_data["feature"], "op": f.cleaned_data["op"], "value": f.cleaned_data["value"]}
        for f in formset.forms
        if f.is_valid() and f.cleaned_data.get("feature")
    ]


class SituationEditForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(required=False, label="In use",
                                   help_text="A retired proposed situation is not matched again; the next "
                                   "analysis proposes afresh for its sellers.")


class TaskForm(forms.Form):
    key = forms.SlugField(
        max_length=64, help_text="A short identifier (letters, digits, underscores); not editable later.",
    )
    name = forms.CharField(max_length=120)
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    behaviours = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                 help_text="Observable behaviours a manager can coach, one per line.")
    coaching_focus = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                     label="What the manager must be able to coach")
    metric_keys = forms.MultipleChoiceField(
        choices=[(m.key, f"{m.name} — {m.description}") for m in METRICS.values()],
        widget=forms.CheckboxSelectMultiple, label="Metrics that evidence it",
        help_text="The analysis uses the first one (in catalogue order) the company's data supports.",
    )
    kind = forms.ChoiceField(choices=SellingTask.Kind.choices)
    prior_weight = forms.FloatField(min_value=-1.0, max_value=1.0, initial=0.15,
                                    label="Starting weight",
                                    help_text="The weight before the company's data speaks, from -1 to 1 (the "
                                    "library's tasks start from published importance ratings: 5 of 5 is 0.28).")
    prior_source = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                   label="Where the starting weight comes from")
    is_active = forms.BooleanField(required=False, initial=True, label="In use")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["key"].disabled = True
            self.fields["key"].required = False

    def task_data(self) -> TaskData:
        d = self.cleaned_data
        order = list(METRICS)
        return TaskData(
            name=d["name"], definition=d["definition"],
            behaviours=[line.strip() for line in d.get("behaviours", "").splitlines() if line.strip()],
            coaching_focus=d.get("coaching_focus", ""), metric_keys=sorted(d["metric_keys"], key=order.index),
            prior_weight=d["prior_weight"], prior_source=d.get("prior_source", ""), kind=d["kind"],
            is_active=d.get("is_active", False),
        )

    @classmethod
    def initial_for(cls, task: SellingTask) -> dict[str, Any]:
        return {
            "key": task.key, "name": task.name, "definition": task.definition,
            "behaviours": "\n".join(task.behaviours), "coaching_focus": task.coaching_focus,
            "metric_keys": task.metric_keys, "kind": task.kind, "prior_weight": task.prior_weight,
            "prior_source": task.prior_source, "is_active": task.is_active,
        }
