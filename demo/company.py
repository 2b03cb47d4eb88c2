"""The demo company: a realistic sales organisation, generated from a seed, in the HR import format.

`generate_company(seed=..., sellers=...)` is a pure function: the same seed, size and reference date always give
the same company, byte for byte once written with `write_people_csv`. It plants what the rest of Promoted is
tested against (docs/planted-truth.md): each seller's selling situation, recently promoted and long-serving
managers, and two sales managers whose teams lost several people of their own will in the last twelve months.

`register_demo_steps()` (called from PeopleConfig.ready) adds the people step to `manage.py demo`: it writes the
plan, loads it through the real HR importer and sets the demo password on one login per kind of user.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from core.services import audit_log
from demo.registry import DemoContext, DemoLogin, register_demo_step
from people.importing import import_people
from people.importing.columns import ALL_COLUMNS
from people.models import OrgUnit, PeopleImport, Person

COMPANY_NAME = "Kestrel Systems"
COMPANY_DOMAIN = "kestrel.example"
COMPANY_CODE = "KESTREL"

# The HR import's columns, in order (docs/imports.md): one source of truth with the importer.
HEADER: tuple[str, ...] = ALL_COLUMNS

SITUATIONS: tuple[str, ...] = ("territory", "key_accounts", "inside_sales", "new_logo")
SELLER_TITLES: dict[str, str] = {
    "territory": "Territory Account Executive",
    "key_accounts": "Key Account Manager",
    "inside_sales": "Inside Sales Representative",
    "new_logo": "New Business Account Executive",
}
_TEAM_LABELS = {
    "territory": "Territory",
    "key_accounts": "Key Accounts",
    "inside_sales": "Inside Sales",
    "new_logo": "New Business",
}
_MANAGER_TITLES = {
    "territory": "Sales Manager, Territory",
    "key_accounts": "Sales Manager, Key Accounts",
    "inside_sales": "Inside Sales Manager",
    "new_logo": "Sales Manager, New Business",
}
# The mix of team types in every twelve sales teams (a mid-size B2B sales organisation).
_TEAM_PATTERN = ("territory",) * 5 + ("inside_sales",) * 3 + ("new_logo",) * 2 + ("key_accounts",) * 2
# Share of a team's sellers who work the team's own situation; the rest are on other motions.
_TEAM_FOCUS = 0.8

# Person kinds in the plan (who they are in the demo's story; the HR file itself has no such column).
CEO = "ceo"
VP_SALES = "vp_sales"
SALES_RVP = "sales_rvp"
DIRECTOR = "director"
SALES_MANAGER = "sales_manager"
SELLER = "seller"
FUNCTION_HEAD = "function_head"
FUNCTION_DIRECTOR = "function_director"
FUNCTION_MANAGER = "function_manager"
STAFF = "staff"
HR_PARTNER = "hr_partner"

RECENT_PROMOTION_DAYS = 270  # "recently promoted": manager for under nine months
TURNOVER_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    cities: tuple[str, ...]


# Up to four sales regions the company is split into; larger companies use the finer list.
COARSE_REGIONS: tuple[Region, ...] = (
    Region("NAE", "North America East", ("New York", "Boston", "Atlanta", "Toronto")),
    Region("NAW", "North America West", ("San Francisco", "Seattle", "Denver", "Austin")),
    Region("EMEA", "EMEA", ("London", "Berlin", "Paris", "Amsterdam", "Dublin", "Stockholm")),
    Region("APAC", "APAC", ("Singapore", "Sydney", "Tokyo", "Bangalore")),
)
FINE_REGIONS: tuple[Region, ...] = (
    Region("NAE", "North America East", ("New York", "Boston", "Atlanta", "Toronto")),
    Region("NAC", "North America Central", ("Chicago", "Dallas", "Minneapolis")),
    Region("NAW", "North America West", ("San Francisco", "Seattle", "Denver", "Austin")),
    Region("LATAM", "Latin America", ("São Paulo", "Mexico City", "Bogotá")),
    Region("UKI", "UK and Ireland", ("London", "Manchester", "Dublin")),
    Region("DACH", "DACH", ("Munich", "Berlin", "Zurich", "Vienna")),
    Region("FRBNL", "France and Benelux", ("Paris", "Amsterdam", "Brussels")),
    Region("NORDICS", "Nordics", ("Stockholm", "Copenhagen", "Oslo", "Helsinki")),
    Region("SEU", "Southern Europe", ("Madrid", "Milan", "Lisbon")),
    Region("MEA", "Middle East and Africa", ("Dubai", "Johannesburg", "Riyadh")),
    Region("APAC", "APAC", ("Singapore", "Bangalore", "Seoul")),
    Region("ANZ", "Australia and New Zealand", ("Sydney", "Melbourne", "Auckland")),
    Region("JAPAN", "Japan", ("Tokyo", "Osaka")),
)
HEADQUARTERS = ("Boston", COARSE_REGIONS[0])


@dataclass(frozen=True)
class FunctionSpec:
    """One function outside sales: its leaders' titles, its teams and how it grows with the sales force."""

    function: str
    code: str
    name: str
    head_title: str
    director_title: str
    manager_title: str
    teams: tuple[tuple[str, tuple[str, ...]], ...]
    per_seller: float
    minimum: int


FUNCTION_SPECS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "marketing", "MKT", "Marketing", "VP Marketing", "Director of Marketing", "Marketing Manager",
        (
            ("Demand Generation", ("Demand Generation Specialist", "Marketing Operations Analyst")),
            ("Product Marketing", ("Product Marketing Specialist", "Competitive Intelligence Analyst")),
            ("Content and Brand", ("Content Marketer", "Graphic Designer", "Copywriter")),
            ("Field Marketing", ("Field Marketing Specialist", "Events Coordinator")),
        ),
        0.15, 5,
    ),
    FunctionSpec(
        "customer_success", "CS", "Customer Success", "VP Customer Success", "Director of Customer Success",
        "Customer Success Team Lead",
        (
            ("Customer Success", ("Customer Success Manager", "Senior Customer Success Manager")),
            ("Onboarding", ("Onboarding Specialist", "Implementation Consultant")),
            ("Support", ("Support Engineer", "Technical Support Specialist")),
            ("Renewals", ("Renewals Specialist",)),
        ),
        0.25, 6,
    ),
    FunctionSpec(
        "engineering", "ENG", "Engineering", "VP Engineering", "Director of Engineering", "Engineering Manager",
        (
            ("Platform", ("Software Engineer", "Senior Software Engineer", "Staff Engineer")),
            ("Integrations", ("Software Engineer", "Senior Software Engineer")),
            ("Data", ("Data Engineer", "Data Scientist")),
            ("Web App", ("Software Engineer", "Senior Software Engineer", "Product Designer")),
            ("Infrastructure", ("Site Reliability Engineer", "DevOps Engineer")),
            ("Quality", ("QA Engineer", "Test Automation Engineer")),
        ),
        0.40, 8,
    ),
    FunctionSpec(
        "finance", "FIN", "Finance", "VP Finance", "Director of Finance", "Finance Manager",
        (
            ("Accounting", ("Accountant", "Accounts Payable Specialist")),
            ("Planning and Analysis", ("Financial Analyst", "Senior Financial Analyst")),
            ("Deal Desk", ("Deal Desk Analyst", "Billing Specialist")),
        ),
        0.06, 3,
    ),
    FunctionSpec(
        "operations", "OPS", "Operations", "VP Operations", "Director of Operations", "Operations Manager",
        (
            ("Sales Operations", ("Sales Operations Analyst", "CRM Administrator")),
            ("IT", ("IT Support Specialist", "Systems Administrator")),
            ("Workplace", ("Workplace Coordinator", "Procurement Specialist")),
        ),
        0.08, 3,
    ),
    FunctionSpec(
        "hr", "HR", "People", "VP People", "Director of People", "People Operations Manager",
        (
            ("Talent Acquisition", ("Recruiter", "Sourcer", "Recruiting Coordinator")),
            ("People Operations", ("People Operations Specialist", "Payroll Specialist")),
            ("Learning and Development", ("Learning and Development Specialist", "Sales Enablement Specialist")),
        ),
        0.04, 2,
    ),
)

FIRST_NAMES: tuple[str, ...] = (
    "Aaliyah", "Aarav", "Abena", "Adaeze", "Adam", "Adriana", "Ahmed", "Aiko", "Aisha", "Akira", "Alejandro",
    "Aleksander", "Alessia", "Alice", "Amara", "Amir", "Ana", "Anders", "Andrea", "Anika", "Anna", "Antoine",
    "Arjun", "Astrid", "Ayesha", "Beatriz", "Ben", "Bianca", "Bilal", "Bo", "Bongani", "Camila", "Carlos",
    "Carmen", "Catherine", "Chen", "Chiara", "Chidi", "Chloé", "Claire", "Daniel", "Daniela", "Darius",
    "David", "Deepika", "Diego", "Dmitri", "Efua", "Elena", "Elif", "Elijah", "Emeka", "Emily", "Emma",
    "Eszter", "Ethan", "Fatima", "Felipe", "Finn", "Freya", "Gabriel", "Grace", "Hamza", "Hana", "Hannah",
    "Haruto", "Henrik", "Hiroshi", "Ibrahim", "Ines", "Ingrid", "Isabel", "Ivan", "Jacob", "Jamal", "James",
    "Javier", "Jia", "Jin", "João", "Jonas", "José", "Julia", "Kai", "Kalani", "Karim", "Katarzyna", "Kavya",
    "Kenji", "Kwame", "Lars", "Laura", "Layla", "Leila", "Leo", "Liam", "Lina", "Lucas", "Lucía", "Luis",
    "Maja", "Malik", "Maria", "Mariam", "Marta", "Mateo", "Mei", "Mia", "Michael", "Miguel", "Mohammed",
    "Nadia", "Naledi", "Naomi", "Nikhil", "Nina", "Noah", "Nour", "Olivia", "Omar", "Oscar", "Pablo",
    "Pedro", "Priya", "Rafael", "Rahul", "Rania", "Ravi", "Rebecca", "Ricardo", "Rin", "Rosa", "Ryan",
    "Sakura", "Samuel", "Sanjay", "Sara", "Sebastian", "Seo-yeon", "Shreya", "Siobhan", "Sofia", "Søren",
    "Tamar", "Tariq", "Thabo", "Thomas", "Tomás", "Valentina", "Victor", "Wei", "Xin", "Yara", "Yasmin",
    "Yusuf", "Zainab", "Zanele", "Zoe", "Zoltan",
)
LAST_NAMES: tuple[str, ...] = (
    "Abara", "Adeyemi", "Afolabi", "Aguilar", "Ahmed", "Alvarez", "Andersen", "Anderson", "Bakker",
    "Banerjee", "Becker", "Bennett", "Bergström", "Bianchi", "Boateng", "Brennan", "Brooks", "Castillo",
    "Chatterjee", "Chen", "Choi", "Clarke", "Costa", "Cruz", "da Silva", "Dąbrowski", "Das", "Delgado",
    "Diallo", "Dubois", "Dvořák", "Eriksen", "Evans", "Fernández", "Fischer", "Fitzgerald", "Fontaine",
    "Fujita", "García", "Ghosh", "Gomez", "Gonzalez", "Gupta", "Haddad", "Hansen", "Hashemi", "Hoffmann",
    "Horvath", "Hughes", "Ibrahim", "Ito", "Iyer", "Jansen", "Jensen", "Johnson", "Kaplan", "Kaur",
    "Kelly", "Khan", "Kim", "Kowalski", "Kumar", "Larsen", "Laurent", "Lee", "Lindqvist", "Liu", "Lopez",
    "Mahlangu", "Martin", "Martínez", "Mbeki", "McCarthy", "Mehta", "Mendes", "Meyer", "Moreau", "Morris",
    "Müller", "Murphy", "Nakamura", "Nguyen", "Nielsen", "Novak", "Nwosu", "O'Brien", "O'Connor", "Okafor",
    "Okonkwo", "Olsen", "Osei", "Owusu", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Quinn", "Rahman",
    "Ramírez", "Reddy", "Reyes", "Richter", "Rivera", "Roberts", "Rodriguez", "Rossi", "Russo", "Saito",
    "Santos", "Sato", "Schmidt", "Schneider", "Shah", "Sharma", "Silva", "Singh", "Sokolov", "Suzuki",
    "Takahashi", "Tanaka", "Taylor", "Thompson", "Torres", "Tran", "Usman", "van Dijk", "Vargas", "Varga",
    "Wagner", "Walker", "Wang", "Watanabe", "Weber", "Williams", "Wilson", "Wong", "Wright", "Wu", "Yamamoto",
    "Yang", "Yilmaz", "Yoon", "Zhang", "Zhou", "Zimmermann",
)


@dataclass(frozen=True)
class PlannedUnit:
    code: str
    name: str
    kind: str  # people.models.OrgUnit.Kind values
    parent_code: str


@dataclass(eq=False)
class PlannedPerson:
    """One row of the HR file, plus what the demo's story says about the person (kind, situation)."""

    kind: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    function: str
    unit: PlannedUnit
    manager: PlannedPerson | None
    region: str
    location: str
    hire_date: dt.date
    manager_since: dt.date | None = None
    status: str = "active"
    end_date: dt.date | None = None
    leaving_reason: str = ""
    hr_partner_for: tuple[str, ...] = ()
    situation: str = ""
    department: str = ""
    employee_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:
        return self.status != "inactive"

    @property
    def manager_employee_id(self) -> str:
        return self.manager.employee_id if self.manager is not None else ""

    def row(self) -> dict[str, str]:
        """This person as a row of the HR import file."""
        return {
            "employee_id": self.employee_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "job_title": self.job_title,
            "function": self.function,
            "department": self.department,
            "manager_employee_id": self.manager_employee_id,
            "org_unit_code": self.unit.code,
            "org_unit_name": self.unit.name,
            "org_unit_kind": self.unit.kind,
            "org_unit_parent_code": self.unit.parent_code,
            "region": self.region,
            "location": self.location,
            "hire_date": self.hire_date.isoformat(),
            "manager_since": self.manager_since.isoformat() if self.manager_since else "",
            "status": self.status,
            "end_date": self.end_date.isoformat() if self.end_date else "",
            "leaving_reason": self.leaving_reason,
            "hr_partner_for": ";".join(self.hr_partner_for),
        }


@dataclass(frozen=True)
class PlannedLogin:
    """A login the demo hands out: who it is and what it shows."""

    role: str
    person: PlannedPerson
    shows: str


@dataclass
class CompanyPlan:
    """A generated company: org units, people (employee-id order) and the truth planted in them."""

    seed: int
    sellers_requested: int
    as_of: dt.date
    company_name: str
    domain: str
    units: list[PlannedUnit]
    people: list[PlannedPerson]
    struggling_managers: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[PlannedPerson]:
        return [p for p in self.people if p.kind in kinds]

    @property
    def sellers(self) -> list[PlannedPerson]:
        """Every seller, leavers included (they still own CRM history)."""
        return self.of_kind(SELLER)

    @property
    def sales_managers(self) -> list[PlannedPerson]:
        return self.of_kind(SALES_MANAGER)

    def person(self, employee_id: str) -> PlannedPerson:
        for person in self.people:
            if person.employee_id == employee_id:
                return person
        raise KeyError(employee_id)

    def rows(self) -> list[dict[str, str]]:
        return [p.row() for p in self.people]

    def recently_promoted(self, person: PlannedPerson) -> bool:
        return person.manager_since is not None and (self.as_of - person.manager_since).days <= (
            RECENT_PROMOTION_DAYS
        )

    def demo_logins(self) -> list[PlannedLogin]:
        """One person per kind of user the demo hands a password to (the administrator is not in the HR data).

        The sales manager is a recently promoted one whose team is not a planted struggling team, the seller
        is on that manager's team, the director is that manager's director and the HR partner is the one who
        supports that manager's region, so the logins tell one story.
        """
        struggling = {s["employee_id"] for s in self.struggling_managers}
        managers = [m for m in self.sales_managers if m.is_active]
        recent = [m for m in managers if self.recently_promoted(m)]
        manager = next((m for m in recent if m.employee_id not in struggling), (recent or managers)[0])
        team = [p for p in self.people if p.manager is manager and p.kind == SELLER and p.status == "active"]
        director = manager.manager if manager.manager is not None and manager.manager.kind == DIRECTOR else (
            self.of_kind(DIRECTOR)[0]
        )
        partner = self.hr_partner_of(manager)
        unit_names = {u.code: u.name for u in self.units}
        others = [m for m in self.of_kind(FUNCTION_MANAGER) if m.is_active and m.function != "hr"]
        outsider = next((m for m in others if self.recently_promoted(m)), others[0])
        assert manager.manager_since is not None
        return [
            PlannedLogin("HR partner", partner,
                         "everyone in " + ", ".join(unit_names[c] for c in partner.hr_partner_for)),
            PlannedLogin("Senior sales leader", self.of_kind(VP_SALES)[0],
                         "the whole sales organisation: every region, team and seller"),
            PlannedLogin("Regional director", director, f"{director.unit.name}: their managers and sellers"),
            PlannedLogin("Sales manager", manager,
                         f"their team of {len(team)} sellers; promoted to manager {manager.manager_since:%B %Y}"),
            PlannedLogin("Seller", team[0], f"their own record ({team[0].job_title}, {manager.full_name}'s team)"),
            PlannedLogin("Manager, other function", outsider,
                         f"their own record only, no sales data ({outsider.job_title})"),
        ]

    def hr_partner_of(self, person: PlannedPerson) -> PlannedPerson:
        """The HR partner who supports `person`: the one whose supported units hold the person's unit or one of
        its parents (every region and function is given to exactly one partner)."""
        parent_of = {u.code: u.parent_code for u in self.units}
        chain: set[str] = set()
        code = person.unit.code
        while code and code not in chain:
            chain.add(code)
            code = parent_of.get(code, "")
        return next(p for p in self.of_kind(HR_PARTNER) if chain.intersection(p.hr_partner_for))

    def truth(self) -> dict[str, Any]:
        """What the generator made true, for the CRM generator and the tests (docs/planted-truth.md)."""
        situations: dict[str, list[str]] = {s: [] for s in SITUATIONS}
        for seller in self.sellers:
            situations[seller.situation].append(seller.employee_id)
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "company": {"name": self.company_name, "domain": self.domain},
            "counts": _counts(self.people),
            "sellers": {
                s.employee_id: {
                    "situation": s.situation,
                    "manager_employee_id": s.manager_employee_id,
                    "status": s.status,
                    "hire_date": s.hire_date.isoformat(),
                    "end_date": s.end_date.isoformat() if s.end_date else None,
                    "leaving_reason": s.leaving_reason or None,
                }
                for s in self.sellers
            },
            "situations": situations,
            "sales_managers": {
                m.employee_id: {
                    "manager_since": m.manager_since.isoformat() if m.manager_since else None,
                    "recently_promoted": self.recently_promoted(m),
                    "team": m.unit.code,
                    "situation": m.situation,
                    "director_employee_id": m.manager_employee_id,
                }
                for m in self.sales_managers
            },
            "hr_partners": {p.employee_id: list(p.hr_partner_for) for p in self.of_kind(HR_PARTNER)},
            "struggling_managers": self.struggling_managers,
        }


def _counts(people: Iterable[PlannedPerson]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for person in people:
        key = person.kind if person.is_active else f"{person.kind}_left"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("ą", "a"))
    plain = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9-]", "", plain.replace(" ", "-"))


class _Builder:
    """Builds one company. All randomness comes from one random.Random(seed), consumed in a fixed order."""

    def __init__(self, *, seed: int, sellers: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.sellers = sellers
        self.units: list[PlannedUnit] = []
        self.people: list[PlannedPerson] = []
        self._emails: dict[str, int] = {}
        self.company = self._unit(COMPANY_CODE, COMPANY_NAME, "company", None)

    # --- small helpers -----------------------------------------------------------------------------------
    def _unit(self, code: str, name: str, kind: str, parent: PlannedUnit | None) -> PlannedUnit:
        unit = PlannedUnit(code=code, name=name, kind=kind, parent_code=parent.code if parent else "")
        self.units.append(unit)
        return unit

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.as_of - dt.timedelta(days=self.rng.randint(low, high))

    def _email(self, first: str, last: str) -> str:
        local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
        seen = self._emails.get(local, 0) + 1
        self._emails[local] = seen
        return f"{local}{seen if seen > 1 else ''}@{COMPANY_DOMAIN}"

    def person(
        self, kind: str, *, title: str, function: str, unit: PlannedUnit, manager: PlannedPerson | None,
        region: Region, hire_date: dt.date, department: str, location: str = "", **extra: Any,
    ) -> PlannedPerson:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        person = PlannedPerson(
            kind=kind, first_name=first, last_name=last, email=self._email(first, last), job_title=title,
            function=function, unit=unit, manager=manager, region=region.name,
            location=location or self.rng.choice(region.cities), hire_date=hire_date, department=department,
            **extra,
        )
        self.people.append(person)
        return person

    def seller_hire_date(self) -> dt.date:
        """Tenure mix of a growing sales force: some ramping, most established, a few veterans."""
        bucket = self.rng.random()
        if bucket < 0.15:
            return self.days_ago(20, 270)
        if bucket < 0.50:
            return self.days_ago(271, 1095)
        if bucket < 0.85:
            return self.days_ago(1096, 2190)
        return self.days_ago(2191, 3650)

    def manager_dates(self, *, recent: bool) -> tuple[dt.date, dt.date]:
        """(hire_date, manager_since) for a people manager: recently promoted or 2-8 years in the role."""
        if recent:
            since = self.days_ago(21, RECENT_PROMOTION_DAYS - 5)
            return since - dt.timedelta(days=self.rng.randint(540, 2900)), since
        since = self.days_ago(730, 2920)
        internal = self.rng.random() < 0.7
        hired = since - dt.timedelta(days=self.rng.randint(365, 1400)) if internal else since
        return hired, since

    def maybe_on_leave(self) -> str:
        return "on_leave" if self.rng.random() < 0.015 else "active"

    # --- the company --------------------------------------------------------------------------------------
    def build(self) -> CompanyPlan:
        hq_city, hq_region = HEADQUARTERS
        ceo = self.person(
            CEO, title="Chief Executive Officer", function="executive", unit=self.company, manager=None,
            region=hq_region, location=hq_city, hire_date=self.days_ago(4400, 4600), department="Executive",
            manager_since=None,
        )
        ceo.manager_since = ceo.hire_date
        struggling = self.build_sales(ceo)
        hr_head = None
        for spec in FUNCTION_SPECS:
            head = self.build_function(spec, ceo)
            if spec.function == "hr":
                hr_head = head
        assert hr_head is not None
        self.build_hr_partners(hr_head)
        return self.finish(struggling)

    def build_sales(self, ceo: PlannedPerson) -> list[dict[str, Any]]:
        hq_city, hq_region = HEADQUARTERS
        sales = self._unit("SALES", "Sales", "function", self.company)
        vp_hired = self.days_ago(3000, 3900)
        vp = self.person(
            VP_SALES, title="VP Sales", function="sales", unit=sales, manager=ceo, region=hq_region,
            location=hq_city, hire_date=vp_hired, manager_since=vp_hired, department="Sales",
        )
        managers_n = max(1, round(self.sellers / 10))
        directors_n = max(1, round(managers_n / 4))
        regions = list(COARSE_REGIONS if directors_n <= len(COARSE_REGIONS) else FINE_REGIONS)
        regions = regions[: min(directors_n, len(regions))]
        region_units = {r.code: self._unit(f"S-{r.code}", f"Sales {r.name}", "region", sales) for r in regions}

        # Directors, spread over the regions; a region with several directors gets a regional VP above them.
        per_region: dict[str, list[int]] = {r.code: [] for r in regions}
        for i in range(directors_n):
            per_region[regions[i % len(regions)].code].append(i)
        directors: list[tuple[PlannedPerson, PlannedUnit, Region]] = []
        for region in regions:
            indexes = per_region[region.code]
            boss, region_unit = vp, region_units[region.code]
            if len(indexes) > 1:
                hired = self.days_ago(2200, 3600)
                boss = self.person(
                    SALES_RVP, title=f"Regional Vice President, {region.name}", function="sales",
                    unit=region_unit, manager=vp, region=region, hire_date=hired,
                    manager_since=hired + dt.timedelta(days=self.rng.randint(0, 700)), department="Sales",
                )
            for n, _ in enumerate(indexes, start=1):
                unit = region_unit
                title = f"Regional Sales Director, {region.name}"
                if len(indexes) > 1:
                    unit = self._unit(f"S-{region.code}-A{n:03d}", f"Sales {region.name} Area {n}", "department",
                                      region_unit)
                    title = f"Area Sales Director, {region.name} Area {n}"
                since = self.days_ago(1460, 3650)
                director = self.person(
                    DIRECTOR, title=title, function="sales", unit=unit, manager=boss, region=region,
                    hire_date=since - dt.timedelta(days=self.rng.randint(0, 700)), manager_since=since,
                    department="Sales",
                )
                directors.append((director, unit, region))

        # Team types: the twelve-team pattern, repeated and shuffled.
        pattern = [_TEAM_PATTERN[i % len(_TEAM_PATTERN)] for i in range(managers_n)]
        self.rng.shuffle(pattern)
        recent_n = max(1, round(managers_n / 3))
        recent = set(self.rng.sample(range(managers_n), recent_n))
        # Two teams with heavy voluntary turnover: one under a recently promoted manager, one under a veteran.
        candidates_recent = sorted(recent)
        candidates_long = [i for i in range(managers_n) if i not in recent]
        struggling: list[int] = []
        if candidates_recent:
            struggling.append(self.rng.choice(candidates_recent))
        if candidates_long:
            struggling.append(self.rng.choice(candidates_long))
        # The signal is a contrast with the other teams, so a tiny company gets fewer struggling managers.
        struggling = struggling[: 2 if managers_n >= 5 else 1 if managers_n >= 2 else 0]

        sizes = self.team_sizes(managers_n)
        same_kind: dict[str, int] = {}
        for index in range(managers_n):
            key = f"{directors[index % len(directors)][2].code}-{pattern[index]}"
            same_kind[key] = same_kind.get(key, 0) + 1
        team_counter: dict[str, int] = {}
        truth: list[dict[str, Any]] = []
        for index in range(managers_n):
            director, director_unit, region = directors[index % len(directors)]
            situation = pattern[index]
            key = f"{region.code}-{situation}"
            team_counter[key] = team_counter.get(key, 0) + 1
            team_name = f"{region.name} {_TEAM_LABELS[situation]}"
            if same_kind[key] > 1:
                team_name += f" {team_counter[key]}"
            team = self._unit(f"S-{region.code}-T{index + 1:04d}", team_name, "team", director_unit)
            is_recent = index in recent
            hired, since = self.manager_dates(recent=is_recent)
            if is_recent and index in struggling:
                # Leave room in the role for the turnover to happen under this manager.
                since = self.days_ago(150, RECENT_PROMOTION_DAYS - 5)
            location = self.rng.choice(region.cities)
            manager = self.person(
                SALES_MANAGER, title=_MANAGER_TITLES[situation], function="sales", unit=team, manager=director,
                region=region, location=location, hire_date=min(hired, since), manager_since=since,
                situation=situation, department="Sales",
            )
            for _ in range(sizes[index]):
                self.seller(manager, team, region, situation, location)
            leavers = self.team_leavers(manager, team, region, situation, location, heavy=index in struggling)
            if index in struggling:
                truth.append({
                    "employee_id": manager,  # replaced by the id once ids are assigned
                    "patterns": ["team_turnover"],
                    "voluntary_leavers_last_12_months": leavers,
                })
        return truth

    def team_sizes(self, teams: int) -> list[int]:
        """Split the sellers over the teams: about ten each, uneven as real teams are, summing exactly."""
        base, extra = divmod(self.sellers, teams)
        sizes = [base + (1 if i < extra else 0) for i in range(teams)]
        if teams > 1:
            for _ in range(teams):
                giver, taker = self.rng.randrange(teams), self.rng.randrange(teams)
                moved = self.rng.randint(1, 2)
                if giver != taker and sizes[giver] - moved >= max(3, base - 3) and sizes[taker] + moved <= base + 4:
                    sizes[giver] -= moved
                    sizes[taker] += moved
        return sizes

    def seller_situation(self, team_situation: str) -> str:
        if self.rng.random() < _TEAM_FOCUS:
            return team_situation
        return self.rng.choice([s for s in SITUATIONS if s != team_situation])

    def seller_title(self, situation: str, hired: dt.date) -> str:
        title = SELLER_TITLES[situation]
        if (self.as_of - hired).days > 5 * 365 and self.rng.random() < 0.6:
            return f"Senior {title}"
        return title

    def seller(
        self, manager: PlannedPerson, team: PlannedUnit, region: Region, team_situation: str, location: str,
    ) -> PlannedPerson:
        situation = self.seller_situation(team_situation)
        hired = self.seller_hire_date()
        local = location if self.rng.random() < 0.6 else self.rng.choice(region.cities)
        return self.person(
            SELLER, title=self.seller_title(situation, hired), function="sales", unit=team, manager=manager,
            region=region, location=local, hire_date=hired, situation=situation, department="Sales",
            status=self.maybe_on_leave(),
        )

    def team_leavers(
        self, manager: PlannedPerson, team: PlannedUnit, region: Region, team_situation: str, location: str,
        *, heavy: bool,
    ) -> int:
        """Sellers who left this team. Returns how many left voluntarily in the last twelve months.

        A normal team loses at most one seller of their own will in a year; a struggling manager's team loses
        four to six, all after the manager took over.
        """
        assert manager.manager_since is not None
        in_role_days = (self.as_of - manager.manager_since).days
        last_year = TURNOVER_WINDOW_DAYS - 5
        leavers: list[tuple[str, int, int]] = []  # (reason, left at least / at most this many days ago)
        if heavy:
            window = (7, max(30, min(in_role_days - 14, last_year)))
            leavers += [("voluntary", *window)] * self.rng.randint(4, 6)
        elif self.rng.random() < 0.4:
            leavers.append(("voluntary", 7, last_year))
        if self.rng.random() < 0.35:
            leavers.append(("voluntary", TURNOVER_WINDOW_DAYS + 10, 900))
        if self.rng.random() < 0.2:
            leavers.append(("involuntary", 20, 540))
        voluntary_recent = 0
        for reason, at_least, at_most in leavers:
            end = self.days_ago(at_least, at_most)
            situation = self.seller_situation(team_situation)
            hired = end - dt.timedelta(days=self.rng.randint(120, 1800))
            self.person(
                SELLER, title=self.seller_title(situation, hired), function="sales", unit=team, manager=manager,
                region=region, location=location, hire_date=hired, situation=situation, department="Sales",
                status="inactive", end_date=end, leaving_reason=reason,
            )
            if reason == "voluntary" and (self.as_of - end).days <= TURNOVER_WINDOW_DAYS:
                voluntary_recent += 1
        return voluntary_recent

    def build_function(self, spec: FunctionSpec, ceo: PlannedPerson) -> PlannedPerson:
        """A function outside sales: a head, directors when it is large, managers with teams of 4-9 staff."""
        hq_city, hq_region = HEADQUARTERS
        unit = self._unit(spec.code, spec.name, "function", self.company)
        hired = self.days_ago(1500, 3900)
        head = self.person(
            FUNCTION_HEAD, title=spec.head_title, function=spec.function, unit=unit, manager=ceo,
            region=hq_region, location=hq_city, hire_date=hired, manager_since=hired, department=spec.name,
        )
        staff_n = max(spec.minimum, round(self.sellers * spec.per_seller))
        managers_n = max(1, math.ceil(staff_n / 7))
        bosses: list[tuple[PlannedPerson, PlannedUnit]] = [(head, unit)]
        if managers_n > 8:
            bosses = []
            for n in range(1, math.ceil(managers_n / 6) + 1):
                group = self._unit(f"{spec.code}-G{n:03d}", f"{spec.name} Group {n}", "department", unit)
                since = self.days_ago(1000, 3000)
                director = self.person(
                    FUNCTION_DIRECTOR, title=f"{spec.director_title}, Group {n}", function=spec.function,
                    unit=group, manager=head, region=hq_region, location=hq_city,
                    hire_date=since - dt.timedelta(days=self.rng.randint(0, 900)), manager_since=since,
                    department=spec.name,
                )
                bosses.append((director, group))
        base, extra = divmod(staff_n, managers_n)
        for index in range(managers_n):
            boss, parent = bosses[index % len(bosses)]
            team_name, titles = spec.teams[index % len(spec.teams)]
            round_n = index // len(spec.teams) + 1
            name = f"{team_name} {round_n}" if managers_n > len(spec.teams) else team_name
            team = self._unit(f"{spec.code}-T{index + 1:04d}", name, "team", parent)
            recent = self.rng.random() < 0.3 or (spec.function == "customer_success" and index == 0)
            hired, since = self.manager_dates(recent=recent)
            city, region = self.office()
            manager = self.person(
                FUNCTION_MANAGER, title=spec.manager_title, function=spec.function, unit=team, manager=boss,
                region=region, location=city, hire_date=min(hired, since), manager_since=since,
                department=spec.name,
            )
            for _ in range(base + (1 if index < extra else 0)):
                staff_city, staff_region = (city, region) if self.rng.random() < 0.7 else self.office()
                self.person(
                    STAFF, title=self.rng.choice(titles), function=spec.function, unit=team, manager=manager,
                    region=staff_region, location=staff_city, hire_date=self.seller_hire_date(),
                    department=spec.name, status=self.maybe_on_leave(),
                )
            if self.rng.random() < 0.25:
                end = self.days_ago(15, 700)
                self.person(
                    STAFF, title=self.rng.choice(titles), function=spec.function, unit=team, manager=manager,
                    region=region, location=city, hire_date=end - dt.timedelta(days=self.rng.randint(200, 2000)),
                    department=spec.name, status="inactive", end_date=end,
                    leaving_reason="voluntary" if self.rng.random() < 0.75 else "involuntary",
                )
        return head

    def office(self) -> tuple[str, Region]:
        """Where someone outside sales works: half at headquarters, the rest in the regional offices."""
        if self.rng.random() < 0.5:
            return HEADQUARTERS
        region = self.rng.choice(COARSE_REGIONS)
        return self.rng.choice(region.cities), region

    def build_hr_partners(self, hr_head: PlannedPerson) -> None:
        """HR business partners, each supporting some sales regions and some other functions."""
        hq_city, hq_region = HEADQUARTERS
        supported = [u for u in self.units if u.kind == "region"] + [
            u for u in self.units if u.kind == "function" and u.code not in {"SALES", "HR"}
        ]
        count = min(len(supported), (3 if self.sellers >= 30 else 2) + self.sellers // 2000)
        team = self._unit("HR-HRBP", "HR Business Partners", "team", next(u for u in self.units if u.code == "HR"))
        partners = []
        for n in range(count):
            hired = self.days_ago(400, 3000)
            partners.append(self.person(
                HR_PARTNER, title="Senior HR Business Partner" if n == 0 else "HR Business Partner",
                function="hr", unit=team, manager=hr_head, region=hq_region,
                location=hq_city if n % 2 == 0 else self.office()[0], hire_date=hired, department="People",
            ))
        covers: list[list[str]] = [[] for _ in partners]
        for i, unit in enumerate(supported):
            covers[i % count].append(unit.code)
        for partner, codes in zip(partners, covers, strict=True):
            partner.hr_partner_for = tuple(codes)

    def finish(self, struggling: list[dict[str, Any]]) -> CompanyPlan:
        """Employee ids in hiring order (as HR systems number them), then the plan."""
        order = sorted(range(len(self.people)), key=lambda i: (self.people[i].hire_date, i))
        width = max(5, len(str(10000 + len(order))))
        people = [self.people[i] for i in order]
        for n, person in enumerate(people, start=10001):
            person.employee_id = f"E{n:0{width}d}"
        for entry in struggling:
            entry["employee_id"] = entry["employee_id"].employee_id
        return CompanyPlan(
            seed=0, sellers_requested=self.sellers, as_of=self.as_of, company_name=COMPANY_NAME,
            domain=COMPANY_DOMAIN, units=self.units, people=people, struggling_managers=struggling,
        )


def generate_company(*, seed: int, sellers: int = 120, as_of: dt.date | None = None) -> CompanyPlan:
    """A realistic company with `sellers` active sellers, the same for the same seed and reference date.

    `as_of` is the day the company is "today" (default: today); every date in the plan is relative to it.
    Sizes: about one sales manager per ten sellers, one regional director per four managers, a VP Sales,
    marketing, customer success, engineering, finance, operations and HR staff in proportion, and two to a
    few HR partners. Leavers come on top of the active sellers.
    """
    if sellers < 1:
        raise ValueError("A demo company needs at least one seller.")
    plan = _Builder(seed=seed, sellers=sellers, as_of=as_of or timezone.localdate()).build()
    plan.seed = seed
    return plan


def people_csv(plan: CompanyPlan) -> str:
    """The plan as the HR import file's text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(plan.rows())
    return buffer.getvalue()


def write_people_csv(plan: CompanyPlan, path: Path | str) -> Path:
    """Write the plan as the HR import file (UTF-8, one header row). Returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(people_csv(plan).encode("utf-8"))
    return target


def write_truth(plan: CompanyPlan, path: Path | str) -> Path:
    """Write the planted truth as JSON (sorted keys, so the same plan gives the same bytes). Returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(plan.truth(), indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    return target


# --- the `manage.py demo` step ------------------------------------------------------------------------------

ADMINISTRATOR_LOCAL_PART = "admin"


def register_demo_steps() -> None:
    """Called from PeopleConfig.ready(): the company is the demo's first step; everything else builds on it."""
    register_demo_step("people", 10, people_demo_step, reset=people_demo_reset)


def people_demo_step(context: DemoContext) -> None:
    """Generate the company, load it through the HR importer, and hand out one login per kind of user."""
    plan = generate_company(seed=context.seed, sellers=context.size)
    csv_path = write_people_csv(plan, context.data_dir / "people.csv")
    write_truth(plan, context.data_dir / "people_truth.json")
    context.write(
        f"Generated {plan.company_name}: {len(plan.people)} people in the HR file {csv_path} "
        f"({len([p for p in plan.sellers if p.is_active])} active sellers, {len(plan.sales_managers)} sales "
        f"managers); planted truth in {context.data_dir / 'people_truth.json'}."
    )
    _import_plan(csv_path)
    context.write("Imported it through the HR importer.")
    admin_email = f"{ADMINISTRATOR_LOCAL_PART}@{plan.domain}"
    _administrator_ensure(email=admin_email, password=context.password)
    planned = plan.demo_logins()
    _passwords_set(employee_ids=[login.person.employee_id for login in planned], password=context.password)
    _check_login_roles(planned)
    context.plan = plan
    context.logins.append(DemoLogin("Administrator", "Site administrator", admin_email,
                                    "everyone and every page, and the Django admin at /admin/"))
    context.logins.extend(
        DemoLogin(login.role, login.person.full_name, login.person.email, login.shows) for login in planned
    )


def _import_plan(csv_path: Path) -> None:
    with csv_path.open("rb") as handle:
        # The training step rebuilds the program's history from its launch, so it enrols managers itself.
        record = import_people(
            file=handle, filename=csv_path.name, actor=None, full=True, enrol_new_managers=False
        )
    if record.status != PeopleImport.Status.SUCCEEDED or record.errors:
        shown = "\n".join(
            f"  row {e.get('row') or '-'}, column {e.get('column') or '-'}, value {e.get('value')!r}: {e['message']}"
            for e in record.errors[:20]
        )
        raise CommandError(
            f"The HR importer rejected the demo file {csv_path} ({len(record.errors)} problems):\n{shown}"
        )


def _administrator_ensure(*, email: str, password: str) -> None:
    """The administrator sign-in. Not in the HR data, like a real company's IT-owned admin account."""
    with transaction.atomic():
        user = User.objects.filter(email=email).first() or User(email=email)
        user.first_name, user.last_name = "Site", "Administrator"
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        RoleGrant.objects.get_or_create(user=user, role=Role.ADMINISTRATOR,
                                        defaults={"source": RoleGrant.Source.MANUAL})
        audit_log(actor=None, action="demo.administrator_created", target=user,
                  summary=f"Demo administrator {email} created with the demo password")


def _passwords_set(*, employee_ids: list[str], password: str) -> None:
    """Set the demo password on the sign-ins of these people (everyone else keeps an unusable password)."""
    with transaction.atomic():
        people = {p.employee_id: p for p in Person.objects.select_related("user").filter(employee_id__in=employee_ids)}
        for employee_id in employee_ids:
            person = people.get(employee_id)
            if person is None or person.user is None:
                raise CommandError(f"The HR import gave {employee_id} no sign-in, so the demo cannot log them in.")
            person.user.set_password(password)
            person.user.save(update_fields=["password"])
            audit_log(actor=None, action="demo.password_set", target=person.user,
                      summary=f"Demo password set for {person.user.email}")


# The role each demo login must have been given by the import, so a broken import fails the demo loudly.
_EXPECTED_ROLE: dict[str, str] = {
    "HR partner": Role.HR_PARTNER,
    "Senior sales leader": Role.SENIOR_SALES_LEADER,
    "Regional director": Role.SENIOR_SALES_LEADER,
    "Sales manager": Role.SALES_MANAGER,
    "Seller": Role.SELLER,
}


def _check_login_roles(planned: list[PlannedLogin]) -> None:
    emails = [login.person.email for login in planned]
    held: dict[str, set[str]] = {}
    for email, role in RoleGrant.objects.filter(user__email__in=emails).values_list("user__email", "role"):
        held.setdefault(email, set()).add(role)
    for login in planned:
        roles = held.get(login.person.email, set())
        expected = _EXPECTED_ROLE.get(login.role)
        if expected is not None and expected not in roles:
            raise CommandError(f"{login.person.email} ({login.role}) should hold the {expected} role after the "
                               f"import, but holds {sorted(roles) or 'none'}.")
        sales_roles = roles & {Role.SELLER, Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER}
        if expected is None and sales_roles:
            raise CommandError(f"{login.person.email} ({login.role}) is outside sales but holds {sorted(sales_roles)}.")


def people_demo_reset() -> None:
    """Delete every person, org unit and HR import (the users go with the rest of the demo's reset)."""
    with transaction.atomic():
        for model in apps.get_app_config("people").get_models():
            if model not in (Person, OrgUnit):
                model._default_manager.all().delete()
        Person.objects.update(manager=None, user=None)
        Person.objects.all().delete()
        OrgUnit.objects.update(parent=None)
        OrgUnit.objects.all().delete()
