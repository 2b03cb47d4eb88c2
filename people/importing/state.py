"""What Promoted holds before an import: every person and org unit, loaded in two queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from accounts.models import Role, RoleGrant, User
from people.models import OrgUnit, Person

# The Person fields an import reads or writes (plus the keys it compares on).
PERSON_FIELDS = (
    "pk", "employee_id", "first_name", "last_name", "email", "function", "department", "job_title", "manager_id",
    "org_unit_id", "region", "location", "hire_date", "manager_since", "status", "end_date", "leaving_reason",
)


@dataclass
class Snapshot:
    people: dict[str, Person]  # by employee_id
    units: dict[str, OrgUnit]  # by code
    employee_id_of: dict[int, str]  # person pk -> employee_id
    code_of: dict[int, str]  # org unit pk -> code
    email_owner: dict[str, str]  # lower-cased email -> employee_id
    # sign-in email -> employee id of the person the account belongs to ("" for accounts without a person:
    # administrators, service accounts)
    account_owner: dict[str, str] = field(default_factory=dict)
    hr_partner_codes: dict[str, frozenset[str]] = field(default_factory=dict)  # employee id -> supported units

    @classmethod
    def load(cls) -> Snapshot:
        people = list(Person.objects.only(*PERSON_FIELDS, "user_id").order_by("pk"))
        units = list(OrgUnit.objects.only("pk", "code", "name", "kind", "parent_id", "path").order_by("pk"))
        employee_of_user = {p.user_id: p.employee_id for p in people if p.user_id}
        code_of = {u.pk: u.code for u in units}
        supported: dict[str, set[str]] = defaultdict(set)
        grants = RoleGrant.objects.filter(role=Role.HR_PARTNER).values_list("user_id", "org_units")
        for user_id, unit_pk in grants:
            if user_id in employee_of_user and unit_pk is not None:
                supported[employee_of_user[user_id]].add(code_of[unit_pk])
        return cls(
            people={p.employee_id: p for p in people},
            units={u.code: u for u in units},
            employee_id_of={p.pk: p.employee_id for p in people},
            code_of=code_of,
            email_owner={p.email.lower(): p.employee_id for p in people},
            account_owner={
                email: employee_of_user.get(pk, "") for pk, email in User.objects.values_list("pk", "email")
            },
            hr_partner_codes={employee_id: frozenset(codes) for employee_id, codes in supported.items()},
        )

    def manager_employee_id(self, person: Person) -> str:
        return self.employee_id_of.get(person.manager_id, "") if person.manager_id else ""

    def parent_code(self, unit: OrgUnit) -> str:
        return self.code_of.get(unit.parent_id, "") if unit.parent_id else ""
