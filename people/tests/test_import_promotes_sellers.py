"""A promotion makes a seller a manager in the app at once: by HR file (and the check page says who becomes a
manager, what they will be enrolled in and by when) or recorded on the training pages."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from accounts.models import Role, RoleGrant
from home.navigation import nav_for
from people.importing import import_people
from people.scoping import forget_scope, scope_for
from training import services as training_services
from training.models import Enrolment
from training.tests.conftest import make_program

pytestmark = pytest.mark.django_db


def _roles(person) -> set[str]:
    return set(RoleGrant.objects.filter(user=person.user).values_list("role", flat=True))


def _nav(person) -> set[str]:
    forget_scope(person.user)
    return {item.label for item in nav_for(scope_for(person.user))}


@pytest.fixture
def sam(company):
    """Sam the seller, with the roles the org chart gives him (derived, as after any HR import)."""
    make_program()
    RoleGrant.objects.filter(user=company.sam.user).update(source=RoleGrant.Source.DERIVED)
    assert _roles(company.sam) == {Role.SELLER}
    return company.sam


def _file(person, promoted_on: dt.date) -> bytes:
    header = "employee_id,first_name,last_name,email,function,hire_date,manager_employee_id,manager_since,job_title"
    row = (f"{person.employee_id},{person.first_name},{person.last_name},{person.email},Sales,2020-01-06,"
           f"{person.manager.employee_id},{promoted_on:%Y-%m-%d},Sales Manager")
    return f"{header}\n{row}\n".encode()


def test_the_check_says_who_becomes_a_manager_and_what_they_are_enrolled_in_by_when(company, sam, login):
    promoted_on = timezone.localdate() - dt.timedelta(days=5)
    check = import_people(file=io.BytesIO(_file(sam, promoted_on)), filename="hr.csv", actor=company.admin,
                          full=False, dry_run=True)
    assert check.status == "succeeded", check.errors
    [promotion] = check.changes["promotions"]
    assert promotion["name"] == "Sam Acme"
    assert promotion["was_seller"] is True
    due_fundamentals = promoted_on + dt.timedelta(days=120)
    assert promotion["tracks"][0] == {
        "name": "Management fundamentals", "courses": 7, "due": f"{due_fundamentals.day} {due_fundamentals:%b %Y}"
    }
    assert [t["name"] for t in promotion["tracks"]] == ["Management fundamentals", "Sales management"]
    page = login("admin").get(f"/imports/people/{check.pk}/").content.decode()
    assert "Becoming people managers (1)" in page
    assert f"Management fundamentals (7 courses) due {due_fundamentals.day} {due_fundamentals:%b %Y}" in page
    assert _roles(sam) == {Role.SELLER}  # a check changes nothing


def test_an_imported_promotion_makes_the_seller_a_manager_at_once(company, sam):
    promoted_on = timezone.localdate() - dt.timedelta(days=5)
    assert "My diagnostic" in _nav(sam)
    record = import_people(file=io.BytesIO(_file(sam, promoted_on)), filename="hr.csv", actor=company.admin,
                           full=False)
    assert record.status == "succeeded", record.errors
    assert Enrolment.objects.filter(person=sam).exists()
    assert _roles(sam) == {Role.SALES_MANAGER}  # no longer a seller, though nobody reports to him yet
    nav = _nav(sam)
    assert "People" in nav
    assert "My diagnostic" not in nav


def test_a_promotion_recorded_by_hr_makes_the_seller_a_manager_at_once(company, sam):
    training_services.person_promote(person=sam, actor=company.admin, effective_date=timezone.localdate())
    assert _roles(sam) == {Role.SALES_MANAGER}
    assert "My diagnostic" not in _nav(sam)
