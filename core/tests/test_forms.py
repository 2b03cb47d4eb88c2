"""core.forms.apply_errors: a service's refusal lands on the form where the reader will look for it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import apply_errors


class _Form(forms.Form):
    name = forms.CharField()


def _form() -> _Form:
    form = _Form({"name": "Ann"})
    assert form.is_valid()
    return form


def test_a_fields_message_goes_beside_the_field_and_others_to_the_top() -> None:
    form = _form()
    apply_errors(form, ValidationError({"name": "Taken.", "quota": "Too high."}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Too high."]  # the form has no quota field


def test_a_message_with_no_field_goes_to_the_top() -> None:
    form = _form()
    apply_errors(form, ValidationError(["First.", "Second."]))
    assert form.non_field_errors() == ["First.", "Second."]
    assert "name" not in form.errors
