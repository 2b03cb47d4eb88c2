"""What Promoted holds before an import: every person and org unit, loaded in two queries."""

from __future__ import annotations

from dataclasses import dataclass

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

    @classmethod
    def load(cls) -> Snapshot:
        people = list(Person.objects.only(*PERSON_FIELDS).order_by("pk"))
        units = list(OrgUnit.objects.only("pk", "code", "name", "kind", "parent_id").order_by("pk"))
        return cls(
            people={p.employee_id: p for p in people},
            units={u.code: u for u in units},
            employee_id_of={p.pk: p.employee_id for p in people},
            code_of={u.pk: u.code for u in units},
            email_owner={p.email.lower(): p.employee_id for p in people},
        )

    def manager_employee_id(self, person: Person) -> str:
        return self.employee_id_of.get(person.manager_id, "") if person.manager_id else ""

    def parent_code(self, unit: OrgUnit) -> str:
        return self.code_of.get(unit.parent_id, "") if unit.parent_id else ""
