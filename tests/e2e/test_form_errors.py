"""After a form comes back with errors, the keyboard focus is on the first field in error (static/js/focus-errors.js,
loaded by every page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from training import services
from training.models import Booking
from training.tests.conftest import make_program

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_after_a_refused_submit_the_focus_is_on_the_first_field_in_error(browser_page, live_login, company):
    make_program()
    company.nora.manager_since = timezone.localdate() - dt.timedelta(days=100)
    company.nora.save()
    services.enrolment_rules_apply(today=timezone.localdate(), people=[company.nora])
    booking = Booking.objects.get(person=company.nora, session__course__key="giving-feedback")
    page = live_login(browser_page, "dirk")
    page.goto(f"/training/sessions/{booking.session_id}/")
    page.locator(f"#booking-{booking.pk}").get_by_role("link", name="Defer / pull out").click()
    # Before any submit, nothing is in error and the focus is not moved into the form.
    assert page.evaluate("document.activeElement.tagName") == "BODY"
    page.get_by_role("button", name="Request pull-out").click()  # no reason given
    page.get_by_text("This field is required.").first.wait_for()
    # The reason's category has a default; the explanation is the field in error.
    explain = page.get_by_label("Explain")
    assert explain.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == explain.get_attribute("id")
    # Typing goes straight into the field in error.
    page.keyboard.type("Needed on the quarter-end forecast call")
    assert explain.input_value() == "Needed on the quarter-end forecast call"
