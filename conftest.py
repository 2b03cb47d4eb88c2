"""Personas shared by every test: one small company with each kind of user, and an outsider.

    Acme (company)
    ├── Sales
    │   ├── North   (HR partner Hana supports North)
    │   │   └── Team North A: manager Nora -> sellers Sam, Sara (+ Lou, who left)
    │   └── South
    │       └── Team South B: manager Mick -> seller Sid
    └── Engineering: Otto (outsider, no role; a people manager of engineer Eve)

    Reporting lines: Vera (VP Sales, senior leader) -> Dirk (director North, senior leader) -> Nora -> Sam, Sara
                     Vera -> Mick -> Sid
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Role, RoleGrant, User
from people.models import EmploymentStatus, Function, OrgUnit, Person
from people.services import org_unit_paths_rebuild, reporting_paths_rebuild
from tests.factories import DEFAULT_PASSWORD, OrgUnitFactory, PersonFactory, UserFactory


@dataclass
class Company:
    company: OrgUnit
    north: OrgUnit
    south: OrgUnit
    team_a: OrgUnit
    team_b: OrgUnit
    engineering: OrgUnit
    vera: Person  # VP Sales: senior sales leader over everyone in sales
    dirk: Person  # director North: senior sales leader over Nora's team
    nora: Person  # sales manager, team North A
    mick: Person  # sales manager, team South B
    sam: Person  # seller in North A
    sara: Person  # seller in North A
    lou: Person  # left North A
    sid: Person  # seller in South B
    hana: Person  # HR partner for North
    otto: Person  # engineering manager: an outsider to sales, holds no role
    eve: Person  # engineer reporting to Otto
    admin: User  # administrator, not in the HR data

    def user(self, who: str) -> User:
        if who == "admin":
            return self.admin
        person: Person = getattr(self, who)
        assert person.user is not None
        return person.user


def _person(unit: OrgUnit, manager: Person | None, first: str, roles: list[str], **kw: object) -> Person:
    user = UserFactory(email=f"{first.lower()}@acme.example")
    person = PersonFactory(
        first_name=first, last_name="Acme", email=f"{first.lower()}@acme.example", org_unit=unit,
        manager=manager, user=user, **kw,
    )
    for role in roles:
        RoleGrant.objects.create(user=user, role=role)
    return person


@pytest.fixture
def company(db: None) -> Company:
    acme = OrgUnitFactory(code="ACME", name="Acme", kind=OrgUnit.Kind.COMPANY)
    sales = OrgUnitFactory(code="SALES", name="Sales", kind=OrgUnit.Kind.FUNCTION, parent=acme)
    north = OrgUnitFactory(code="NORTH", name="North", kind=OrgUnit.Kind.REGION, parent=sales)
    south = OrgUnitFactory(code="SOUTH", name="South", kind=OrgUnit.Kind.REGION, parent=sales)
    team_a = OrgUnitFactory(code="NA", name="Team North A", parent=north)
    team_b = OrgUnitFactory(code="SB", name="Team South B", parent=south)
    eng = OrgUnitFactory(code="ENG", name="Engineering", kind=OrgUnit.Kind.FUNCTION, parent=acme)
    hr = OrgUnitFactory(code="HR", name="People team", kind=OrgUnit.Kind.FUNCTION, parent=acme)

    vera = _person(sales, None, "Vera", [Role.SENIOR_SALES_LEADER, Role.SALES_MANAGER], job_title="VP Sales",
                   hire_date=dt.date(2012, 4, 2), manager_since=dt.date(2015, 3, 1))
    dirk = _person(north, vera, "Dirk", [Role.SENIOR_SALES_LEADER, Role.SALES_MANAGER],
                   job_title="Regional Director North", hire_date=dt.date(2014, 9, 1),
                   manager_since=dt.date(2018, 1, 1))
    nora = _person(team_a, dirk, "Nora", [Role.SALES_MANAGER], job_title="Sales Manager",
                   manager_since=dt.date(2025, 9, 1))
    mick = _person(team_b, vera, "Mick", [Role.SALES_MANAGER], job_title="Sales Manager",
                   hire_date=dt.date(2016, 1, 4), manager_since=dt.date(2019, 5, 1))
    sam = _person(team_a, nora, "Sam", [Role.SELLER])
    sara = _person(team_a, nora, "Sara", [Role.SELLER])
    lou = _person(team_a, nora, "Lou", [], status=EmploymentStatus.INACTIVE, end_date=dt.date(2026, 6, 30),
                  leaving_reason="voluntary")
    sid = _person(team_b, mick, "Sid", [Role.SELLER])
    hana = _person(hr, None, "Hana", [], function=Function.HR, job_title="HR Business Partner")
    RoleGrant.objects.create(user=hana.user, role=Role.HR_PARTNER).org_units.set([north])
    otto = _person(eng, None, "Otto", [], function=Function.ENGINEERING, job_title="Engineering Manager",
                   manager_since=dt.date(2024, 2, 1))
    eve = _person(eng, otto, "Eve", [], function=Function.ENGINEERING, job_title="Engineer")
    admin = UserFactory(email="admin@acme.example", is_staff=True, is_superuser=True)
    RoleGrant.objects.create(user=admin, role=Role.ADMINISTRATOR)

    org_unit_paths_rebuild()
    reporting_paths_rebuild()
    people = {p.pk: p for p in Person.objects.all()}
    units = {u.pk: u for u in OrgUnit.objects.all()}
    return Company(
        company=units[acme.pk], north=units[north.pk], south=units[south.pk], team_a=units[team_a.pk],
        team_b=units[team_b.pk], engineering=units[eng.pk],
        vera=people[vera.pk], dirk=people[dirk.pk], nora=people[nora.pk], mick=people[mick.pk],
        sam=people[sam.pk], sara=people[sara.pk], lou=people[lou.pk], sid=people[sid.pk],
        hana=people[hana.pk], otto=people[otto.pk], eve=people[eve.pk], admin=admin,
    )


@pytest.fixture
def login(client: Client, company: Company):  # type: ignore[no-untyped-def]
    """login("nora") signs the test client in as that persona and returns the client."""

    def _login(who: str) -> Client:
        client.logout()
        user = company.user(who)
        assert client.login(email=user.email, password=DEFAULT_PASSWORD)
        return client

    return _login


@pytest.fixture(autouse=True)
def _isolated_stores(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Each test gets its own data directory, analytics store and upload folder: parallel workers never share a file.
    settings.DATA_DIR = tmp_path
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.MEDIA_ROOT = tmp_path / "uploads"
    # The rate limits' counters (accounts.throttling) start at zero in every test: a cache of its own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{tmp_path.name}"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # The production hasher is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serve static files from the source tree: tests do not run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
