"""xAPI (Experience API 1.0.3) statements for completions and mastery, and the client that sends them to the
learning record store (LRS).

Statement ids are UUIDv5 of the event (`statement_uuid`), so resending an event never duplicates it: an LRS keeps
one statement per id and answers a resend of the same statement with success (POST 200/204, PUT 204).
Statements go out in batches (POST); a refused batch is retried one statement at a time (PUT) so one bad
statement cannot hold back the others.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils import timezone

XAPI_VERSION = "1.0.3"

VERB_COMPLETED = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
VERB_MASTERED = {"id": "http://adlnet.gov/expapi/verbs/mastered", "display": {"en-US": "mastered"}}
ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"

# Namespace for statement ids: fixed, so the same event on the same site always gets the same id.
_STATEMENT_NAMESPACE = uuid.UUID("5b0c6f7e-3d0a-4c55-9a3e-6d2f0e4b9c71")


def statement_uuid(event_key: str) -> uuid.UUID:
    """The stable statement id for one event (e.g. "completion:enrolment:42") on this site."""
    return uuid.uuid5(_STATEMENT_NAMESPACE, f"{settings.SITE_URL}|{event_key}")


def activity_id(path: str) -> str:
    """An activity IRI under this site's public URL, e.g. activity_id("training/courses/coaching-1")."""
    return f"{settings.SITE_URL}/{path.strip('/')}"


def agent(*, name: str, email: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name, "mbox": f"mailto:{email.strip().lower()}"}


def _timestamp(moment: dt.datetime) -> str:
    if timezone.is_naive(moment):
        raise ValueError("xAPI timestamps must be timezone-aware")
    return moment.isoformat()


def _score(score: Decimal | None) -> dict[str, Any] | None:
    """A percent score as an xAPI score (raw 0-100, scaled 0-1)."""
    if score is None:
        return None
    raw = float(score)
    return {"raw": raw, "min": 0, "max": 100, "scaled": round(raw / 100, 4)}


def _context(*, registration: uuid.UUID | None, parents: list[dict[str, Any]],
             grouping: list[dict[str, Any]]) -> dict[str, Any]:
    context: dict[str, Any] = {"platform": "Promoted", "language": "en"}
    if registration is not None:
        context["registration"] = str(registration)
    activities: dict[str, Any] = {}
    if parents:
        activities["parent"] = parents
    if grouping:
        activities["grouping"] = grouping
    if activities:
        context["contextActivities"] = activities
    return context


def _activity(iri: str, *, name: str, kind: str, description: str = "") -> dict[str, Any]:
    definition: dict[str, Any] = {"name": {"en-US": name}, "type": kind}
    if description:
        definition["description"] = {"en-US": description[:1000]}
    return {"objectType": "Activity", "id": iri, "definition": definition}


@dataclass(frozen=True)
class CourseRef:
    key: str
    title: str
    summary: str = ""
    track_key: str = ""
    track_name: str = ""

    def activity(self) -> dict[str, Any]:
        return _activity(
            activity_id(f"training/courses/{self.key}"), name=self.title, kind=ACTIVITY_COURSE,
            description=self.summary,
        )

    def grouping(self) -> list[dict[str, Any]]:
        if not self.track_key:
            return []
        return [{"objectType": "Activity", "id": activity_id(f"training/tracks/{self.track_key}"),
                 "definition": {"name": {"en-US": self.track_name or self.track_key}}}]


def completion_statement(
    *,
    event_key: str,
    person_name: str,
    person_email: str,
    course: CourseRef,
    completed_at: dt.datetime,
    score: Decimal | None = None,
    passed: bool | None = None,
    registration: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A "completed" statement: `person` completed `course` at `completed_at` (aware)."""
    result: dict[str, Any] = {"completion": True}
    if passed is not None:
        result["success"] = passed
    scored = _score(score)
    if scored is not None:
        result["score"] = scored
    return {
        "id": str(statement_uuid(event_key)),
        "actor": agent(name=person_name, email=person_email),
        "verb": VERB_COMPLETED,
        "object": course.activity(),
        "result": result,
        "context": _context(registration=registration, parents=[], grouping=course.grouping()),
        "timestamp": _timestamp(completed_at),
    }


def mastery_statement(
    *,
    event_key: str,
    person_name: str,
    person_email: str,
    competency_key: str,
    competency_name: str,
    competency_description: str,
    evidence_kind: str,
    accepted_at: dt.datetime,
    score: Decimal | None = None,
    passed: bool | None = None,
    course: CourseRef | None = None,
    reviewer_email: str = "",
) -> dict[str, Any]:
    """A "mastered" statement: `person` mastered a competency, on evidence accepted at `accepted_at`."""
    result: dict[str, Any] = {"completion": True, "success": True if passed is None else passed}
    scored = _score(score)
    if scored is not None:
        result["score"] = scored
    result["extensions"] = {activity_id("xapi/extensions/evidence-kind"): evidence_kind}
    context = _context(
        registration=None,
        parents=[course.activity()] if course is not None else [],
        grouping=course.grouping() if course is not None else [],
    )
    if reviewer_email:
        context["instructor"] = {"objectType": "Agent", "mbox": f"mailto:{reviewer_email.strip().lower()}"}
    return {
        "id": str(statement_uuid(event_key)),
        "actor": agent(name=person_name, email=person_email),
        "verb": VERB_MASTERED,
        "object": _activity(
            activity_id(f"development/competencies/{competency_key}"), name=competency_name,
            kind=ACTIVITY_OBJECTIVE, description=competency_description,
        ),
        "result": result,
        "context": context,
        "timestamp": _timestamp(accepted_at),
    }


# ---------------------------------------------------------------------------------------------------------------
# The LRS client
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LrsConfig:
    url: str  # the xAPI endpoint, e.g. https://lrs.example.com/xAPI/
    username: str
    password: str
    timeout: float

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"

    @classmethod
    def from_settings(cls) -> LrsConfig | None:
        """The configured LRS, or None when LRS_URL is not set (statements then wait in the outbox)."""
        url = getattr(settings, "LRS_URL", "")
        if not url:
            return None
        return cls(
            url=url,
            username=getattr(settings, "LRS_USERNAME", ""),
            password=getattr(settings, "LRS_PASSWORD", ""),
            timeout=float(getattr(settings, "LRS_TIMEOUT", 10)),
        )


@dataclass(frozen=True)
class SendOutcome:
    """What the LRS said about one statement. `retry` is False for answers resending cannot change."""

    stored: bool
    retry: bool
    error: str = ""


def _headers() -> dict[str, str]:
    return {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}


def lrs_client(config: LrsConfig) -> httpx.Client:
    auth = httpx.BasicAuth(config.username, config.password) if config.username else None
    return httpx.Client(auth=auth, timeout=config.timeout, headers=_headers())


def put_statement(client: httpx.Client, config: LrsConfig, statement: dict[str, Any]) -> SendOutcome:
    """Store one statement under its own id (PUT, so resending is idempotent) and classify the answer."""
    url = f"{config.statements_url}?{urlencode({'statementId': statement['id']})}"
    try:
        response = client.put(url, json=statement)
    except httpx.HTTPError as exc:
        return SendOutcome(stored=False, retry=True, error=f"{type(exc).__name__}: {exc}"[:1000])
    if response.status_code in (200, 204):
        return SendOutcome(stored=True, retry=False)
    body = response.text[:500]
    if response.status_code == 409:
        # The LRS holds a different statement with this id: resending the same one will never succeed.
        return SendOutcome(stored=False, retry=False, error=f"409 Conflict: {body}")
    if response.status_code in (400, 413):
        return SendOutcome(stored=False, retry=False, error=f"{response.status_code} rejected: {body}")
    # 401/403 (credentials being fixed), 429 and 5xx are worth retrying later.
    return SendOutcome(stored=False, retry=True, error=f"{response.status_code}: {body}")


def post_statements(client: httpx.Client, config: LrsConfig, statements: list[dict[str, Any]]) -> SendOutcome:
    """Store a batch of statements in one POST. `stored` means the LRS holds every one of them (200, or 204 when
    it already had them all); `retry` False means the batch was refused as such (400, 409, 413): send the
    statements one by one to find the culprit."""
    try:
        response = client.post(config.statements_url, json=statements)
    except httpx.HTTPError as exc:
        return SendOutcome(stored=False, retry=True, error=f"{type(exc).__name__}: {exc}"[:1000])
    if response.status_code in (200, 204):
        return SendOutcome(stored=True, retry=False)
    body = response.text[:500]
    if response.status_code in (400, 409, 413):
        return SendOutcome(stored=False, retry=False, error=f"{response.status_code}: {body}")
    return SendOutcome(stored=False, retry=True, error=f"{response.status_code}: {body}")


def get_statements(config: LrsConfig, **params: str) -> dict[str, Any]:
    """GET /statements with query parameters (statementId, verb, agent...). For checks and tests."""
    with lrs_client(config) as client:
        response = client.get(config.statements_url, params=params)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data
