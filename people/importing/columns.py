"""The HR file's columns and the words its coded columns accept.

docs/imports.md describes the same set for people who prepare the file; the upload page renders `COLUMNS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from people.models import EmploymentStatus, Function, LeavingReason, OrgUnit


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("employee_id", True, "The person's id in the HR system. Matches people between imports.", "E1001"),
    Column("first_name", True, "First name.", "Maria"),
    Column("last_name", True, "Last name.", "Lopez"),
    Column("email", True, "Work email; also the person's sign-in. Unique.", "maria.lopez@example.com"),
    Column("function", True, "Business function: " + ", ".join(label for _, label in Function.choices) + ". "
           "A file without it can name the column the function is in (department, division, job family) or one "
           "function for everyone, on the upload form.", "Sales"),
    Column("hire_date", True, "First day at the company, YYYY-MM-DD.", "2019-04-01"),
    Column("department", False, "Department name as the HR system shows it (free text).", "Sales North"),
    Column("job_title", False, "Job title (free text).", "Sales Manager"),
    Column("manager_employee_id", False, "The employee id of the person's manager. Empty for the top of the tree.",
           "E1000"),
    Column("org_unit_code", False, "Code of the person's org unit (team, region, department...).", "NA"),
    Column("org_unit_name", False, "Name of that unit. Needed on at least one row for a unit new to Promoted.",
           "Team North A"),
    Column("org_unit_parent_code", False, "Code of the unit's parent unit (may be given on any row of the unit).",
           "NORTH"),
    Column("org_unit_kind", False, "company, function, region, department or team (default team).", "team"),
    Column("region", False, "Sales region (free text, used in filters).", "North"),
    Column("location", False, "Office or city (free text).", "Hamburg"),
    Column("manager_since", False, "The date the person became a people manager, YYYY-MM-DD.", "2021-01-01"),
    Column("status", False, "Active, On leave or Inactive. Empty: active, or inactive with a past end date.",
           "active"),
    Column("end_date", False, "Last day of employment, YYYY-MM-DD. A past end date makes the person inactive.",
           ""),
    Column("leaving_reason", False, "Voluntary or involuntary; only with an end date.", ""),
    Column("hr_partner_for", False, "Org unit codes this person supports as HR partner, separated by ';'.", ""),
)

REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
ALL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
DATE_COLUMNS = frozenset({"hire_date", "manager_since", "end_date"})
UNIT_DEFINITION_COLUMNS = ("org_unit_name", "org_unit_parent_code", "org_unit_kind")

# Longest values the database columns hold.
MAX_LENGTHS: dict[str, int] = {
    "employee_id": 64,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "department": 200,
    "job_title": 200,
    "manager_employee_id": 64,
    "org_unit_code": 64,
    "org_unit_name": 200,
    "org_unit_parent_code": 64,
    "region": 100,
    "location": 100,
}

# Two example rows for the downloadable template: a manager in a sales unit and a seller in a team below it.
TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "employee_id": "E1001", "first_name": "Maria", "last_name": "Lopez", "email": "maria.lopez@example.com",
        "function": "Sales", "hire_date": "2019-04-01", "department": "Sales North", "job_title": "Sales Manager",
        "manager_employee_id": "", "org_unit_code": "NORTH", "org_unit_name": "Sales North",
        "org_unit_parent_code": "", "org_unit_kind": "region", "region": "North", "location": "Hamburg",
        "manager_since": "2021-01-01", "status": "active", "end_date": "", "leaving_reason": "",
        "hr_partner_for": "",
    },
    {
        "employee_id": "E1002", "first_name": "Tom", "last_name": "Berger", "email": "tom.berger@example.com",
        "function": "Sales", "hire_date": "2022-09-15", "department": "Sales North",
        "job_title": "Account Executive", "manager_employee_id": "E1001", "org_unit_code": "NA",
        "org_unit_name": "Team North A", "org_unit_parent_code": "NORTH", "org_unit_kind": "team",
        "region": "North", "location": "Hamburg", "manager_since": "", "status": "active", "end_date": "",
        "leaving_reason": "", "hr_partner_for": "",
    },
)


def header_key(raw: str) -> str:
    """A header cell as a column name: case and surrounding spaces ignored, "Employee ID" -> "employee_id"."""
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def vocabulary_key(raw: str) -> str:
    """A coded value reduced for lookup: "R&D" -> "r and d", "Customer-Success" -> "customer success"."""
    text = raw.strip().lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _vocabulary(choices: list[tuple[str, str]], synonyms: dict[str, str]) -> dict[str, str]:
    words: dict[str, str] = {}
    for value, label in choices:
        if value:
            words[vocabulary_key(value)] = value
            words[vocabulary_key(label)] = value
    words.update({vocabulary_key(word): value for word, value in synonyms.items()})
    return words


FUNCTION_WORDS = _vocabulary(
    Function.choices,
    {
        "HR": Function.HR, "People": Function.HR, "People & Culture": Function.HR, "People Operations": Function.HR,
        "Personnel": Function.HR, "Talent": Function.HR,
        "R&D": Function.ENGINEERING, "Research and development": Function.ENGINEERING,
        "Development": Function.ENGINEERING, "Software engineering": Function.ENGINEERING,
        "Technology": Function.ENGINEERING, "Tech": Function.ENGINEERING,
        "Business development": Function.SALES, "Bizdev": Function.SALES, "Presales": Function.SALES,
        "Pre-sales": Function.SALES, "Inside sales": Function.SALES, "Field sales": Function.SALES,
        "Sales operations": Function.SALES,
        "CS": Function.CUSTOMER_SUCCESS, "Customer service": Function.CUSTOMER_SUCCESS,
        "Customer support": Function.CUSTOMER_SUCCESS, "Support": Function.CUSTOMER_SUCCESS,
        "Account management": Function.CUSTOMER_SUCCESS,
        "Product management": Function.PRODUCT,
        "Accounting": Function.FINANCE, "Finance & Accounting": Function.FINANCE, "Controlling": Function.FINANCE,
        "Ops": Function.OPERATIONS,
        "Legal & Compliance": Function.LEGAL, "Compliance": Function.LEGAL,
        "Exec": Function.EXECUTIVE, "Management": Function.EXECUTIVE, "Leadership": Function.EXECUTIVE,
        "Marketing & Communications": Function.MARKETING, "Communications": Function.MARKETING,
    },
)

STATUS_WORDS = _vocabulary(
    EmploymentStatus.choices,
    {
        "Leave": EmploymentStatus.ON_LEAVE, "Leave of absence": EmploymentStatus.ON_LEAVE,
        "Parental leave": EmploymentStatus.ON_LEAVE,
        "Left": EmploymentStatus.INACTIVE, "Terminated": EmploymentStatus.INACTIVE,
        "Leaver": EmploymentStatus.INACTIVE, "Former": EmploymentStatus.INACTIVE,
    },
)

LEAVING_REASON_WORDS = _vocabulary(
    LeavingReason.choices,
    {
        "Resigned": LeavingReason.VOLUNTARY, "Resignation": LeavingReason.VOLUNTARY,
        "Retired": LeavingReason.VOLUNTARY, "Retirement": LeavingReason.VOLUNTARY,
        "Dismissed": LeavingReason.INVOLUNTARY, "Dismissal": LeavingReason.INVOLUNTARY,
        "Terminated": LeavingReason.INVOLUNTARY, "Laid off": LeavingReason.INVOLUNTARY,
        "Layoff": LeavingReason.INVOLUNTARY, "Redundancy": LeavingReason.INVOLUNTARY,
    },
)

ORG_UNIT_KIND_WORDS = _vocabulary(OrgUnit.Kind.choices, {"Dept": OrgUnit.Kind.DEPARTMENT})

# Columns an importer may name as where each person's function is, when the file has no `function` column.
FUNCTION_SOURCE_SUGGESTIONS = ("department", "division", "job_family", "job_function", "business_unit", "team")


@dataclass(frozen=True)
class FunctionSource:
    """Where people's function comes from when the file's `function` column is missing or empty: a column of the
    file (`column`, a header key such as "department" or "job_family") whose value names the function, else
    `default` (a Function value). Both empty: the file's `function` column is required, as documented."""

    column: str = ""
    default: str = ""

    @property
    def given(self) -> bool:
        return bool(self.column or self.default)


FROM_FUNCTION_COLUMN = FunctionSource()  # the documented way: every person's function in the function column


def function_source_parse(*, column: str = "", default: str = "") -> FunctionSource:
    """A FunctionSource from what a person typed (the upload form, the command's options); ValueError saying what
    is wrong. `column` is a header as the file writes it ("Job Family"), `default` a function or its synonym."""
    key = header_key(column) if column.strip() else ""
    if key == "function":
        raise ValueError("The function column is always read: name another column, such as department, division "
                         "or job family.")
    if len(key) > 64:
        raise ValueError("A column name has at most 64 characters.")
    value = ""
    if default.strip():
        value = FUNCTION_WORDS.get(vocabulary_key(default), "")
        if not value:
            raise ValueError(f"'{default.strip()}' is not a function. Use one of: {FUNCTION_HINT}.")
    return FunctionSource(column=key, default=str(value))


def function_in(text: str) -> tuple[str, list[str]]:
    """The function a department, division or job family name points to, and the functions it could mean.

    The whole name as a function word ("Customer Success", "R&D") decides; otherwise the function words inside
    it, as whole words, each counted only where no longer match covers it ("Sales Operations EMEA" is Sales, not
    Operations). Returns (function, []) for one match, ("", [candidates]) when several functions match
    ("Marketing & Sales") and ("", []) when none does: never a guess.
    """
    key = vocabulary_key(text)
    if not key:
        return "", []
    if key in FUNCTION_WORDS:
        return str(FUNCTION_WORDS[key]), []
    words = key.split()
    spans: list[tuple[int, int, str]] = []
    for phrase, value in FUNCTION_WORDS.items():
        size = len(phrase.split())
        spans.extend((i, i + size, value) for i in range(len(words) - size + 1)
                     if " ".join(words[i:i + size]) == phrase)
    kept = {value for start, end, value in spans
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)}
    if len(kept) == 1:
        return str(kept.pop()), []
    return "", sorted(str(value) for value in kept)


FUNCTION_HINT = ", ".join(label for _, label in Function.choices)
STATUS_HINT = ", ".join(value for value, _ in EmploymentStatus.choices)
LEAVING_REASON_HINT = ", ".join(value for value, _ in LeavingReason.choices if value)
ORG_UNIT_KIND_HINT = ", ".join(value for value, _ in OrgUnit.Kind.choices)
