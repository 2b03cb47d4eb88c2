"""The demo's program in progress, and the issue's "done when" on top of it."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, User
from people.models import EmploymentStatus, Function, Person
from training import selectors, services
from training.models import Booking, Certification, Cohort, Deferral, Enrolment, Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    # The demo's CRM step writes the analytics store: a private one, so parallel test workers do not collide.
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("demo", sellers=60, stdout=out)
    return out.getvalue()


def test_demo_has_a_program_in_progress(demo):
    assert "Training program:" in demo
    today = timezone.localdate()
    cohorts = list(Cohort.objects.all())
    assert any(c.phase(today) == "past" for c in cohorts)
    assert any(c.phase(today) == "upcoming" for c in cohorts)
    assert Session.objects.filter(starts_at__lt=timezone.now(), bookings__attendance="attended").exists()
    assert Booking.objects.filter(attendance="absent").exists()
    progress = selectors.progress_for(Person.objects.filter(training_enrolments__isnull=False).distinct())
    assert any(p.behind for p in progress)
    assert any(not p.behind for p in progress)
    pull_outs = Deferral.objects.filter(requested_as=Deferral.RequestedAs.LEADER)
    assert pull_outs.count() >= 2
    assert all(len(d.reason) > 10 for d in pull_outs)
    assert pull_outs.filter(escalated_at__isnull=False).exists()
    horizon = today + timezone.timedelta(days=90)
    assert Certification.objects.filter(expires_on__gte=today, expires_on__lte=horizon).count() >= 3
    functions = set(Enrolment.objects.values_list("person__function", flat=True))
    assert Function.SALES in functions
    assert len(functions) >= 2  # cohorts mix functions


def test_done_when_in_the_demo(demo):
    from people.scoping import is_above, is_hr_for

    sellers = list(
        Person.objects.filter(
            user__role_grants__role=Role.SELLER, status=EmploymentStatus.ACTIVE
        ).select_related("org_unit")
    )
    hr_user, seller = next(
        (user, person)
        for user in User.objects.filter(role_grants__role=Role.HR_PARTNER).order_by("pk")
        for person in sellers
        if is_hr_for(user, person)
    )
    assert selectors.behind_report(user=hr_user).people_enrolled >= 0
    # HR records a seller's promotion: they are enrolled automatically and get their invitations.
    mail.outbox.clear()
    services.person_promote(
        person=seller, actor=hr_user, effective_date=timezone.localdate(), new_title="Sales Manager"
    )
    assert Enrolment.objects.filter(person=seller).count() == 17
    booking = Booking.objects.filter(person=seller, status="confirmed").order_by("session__starts_at").first()
    assert booking is not None
    assert booking.session.starts_at > timezone.now()
    # A leader above a manager pulls them out with a reason; HR sees it, with the reason, as behind.
    leader_user = next(
        u for u in User.objects.filter(role_grants__role=Role.SENIOR_SALES_LEADER) if is_above(u, seller)
    )
    deferral = services.deferral_request(
        booking=booking,
        actor=leader_user,
        reason_category="forecast",
        reason="Forecast week for the new team",
    )
    queues = selectors.deferral_queues(user=hr_user)
    assert deferral in queues.awaiting_me
