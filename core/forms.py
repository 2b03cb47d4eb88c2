"""Form helpers every app's views share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: a field's message beside that field when the form has it,
    every other message (and a message with no field) at the top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
