"""The manager development program over the API: curriculum, enrolments, sessions and attendance, deferrals.

Same selectors, services and scope as the pages: anything about a person outside the caller's scope answers
404. There is no endpoint to drop out of or delete an enrolment; an exemption needs an HR decision with a
reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from api.auth import caller
from api.errors import COMMON_ERRORS, ErrorOut
from api.ids import Id
from api.pagination import PageMeta, PageParams, paginate
from api.schemas import PersonRef
from people.scoping import is_hr_for, visible_people
from training import selectors, services
from training.models import Booking, Course, Deferral, Enrolment, Session, Track

router = Router(tags=["Training"])
WRITE_ERRORS: dict[int, type[ErrorOut]] = {403: ErrorOut, **COMMON_ERRORS}


# --- Schemas ------------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class CourseOut(Schema):
    id: int
    key: str
    title: str
    track: str = Field(..., description="The track's key.")
    summary: str
    objectives: list[str]
    competencies: list[str] = Field(..., description="Competency keys the course builds.")
    format: Literal["workshop", "elearning", "on_the_job"]
    duration_minutes: int
    provider: Ref
    provider_kind: str
    cost_per_participant: Decimal
    currency: str
    mastery_method: str
    mastery_criteria: str
    prerequisites: list[str] = Field(..., description="Keys of courses to complete first.")
    seller_task_keys: list[str] = Field(
        ..., description="Seller tasks (bottom-up engine keys) it teaches to coach."
    )
    validity_months: int | None = Field(..., description="Compliance courses: certificate validity.")
    position: int
    is_active: bool

    @staticmethod
    def resolve_track(obj: Course) -> str:
        return obj.track.key

    @staticmethod
    def resolve_competencies(obj: Course) -> list[str]:
        return [c.key for c in obj.competencies.all()]

    @staticmethod
    def resolve_provider(obj: Course) -> dict[str, Any]:
        return {"id": obj.provider.pk, "name": obj.provider.name}

    @staticmethod
    def resolve_provider_kind(obj: Course) -> str:
        return obj.provider.kind

    @staticmethod
    def resolve_cost_per_participant(obj: Course) -> Decimal:
        return obj.effective_cost

    @staticmethod
    def resolve_currency(obj: Course) -> str:
        return obj.provider.currency

    @staticmethod
    def resolve_prerequisites(obj: Course) -> list[str]:
        return [p.key for p in obj.prerequisites.all()]

    @staticmethod
    def resolve_seller_task_keys(obj: Course) -> list[str]:
        return [t.task_key for t in obj.seller_tasks.all()]


class TrackOut(Schema):
    id: int
    key: str
    name: str
    description: str
    position: int
    audience: str
    due_within_days: int
    courses: list[CourseOut]

    @staticmethod
    def resolve_courses(obj: Track) -> list[Course]:
        return list(obj.courses.all())


class SessionOut(Schema):
    id: int
    course: str = Field(..., description="The course key.")
    cohort: Ref | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    online_url: str
    facilitator: str
    capacity: int
    status: str

    @staticmethod
    def resolve_course(obj: Session) -> str:
        return obj.course.key

    @staticmethod
    def resolve_cohort(obj: Session) -> dict[str, Any] | None:
        return {"id": obj.cohort.pk, "name": obj.cohort.name} if obj.cohort else None

    @staticmethod
    def resolve_facilitator(obj: Session) -> str:
        return obj.facilitator_label


class BookingOut(Schema):
    id: int
    session: SessionOut
    person: PersonRef
    status: Literal["confirmed", "waitlisted", "moved", "cancelled"]
    attendance: Literal["unmarked", "attended", "absent", "deferred"]


class EnrolmentOut(Schema):
    id: int
    person: PersonRef
    course: str = Field(..., description="The course key.")
    track: str
    status: Literal["enrolled", "completed", "exempted"]
    source: str
    enrolled_on: dt.date
    due_on: dt.date
    completed_on: dt.date | None
    cohort: Ref | None

    @staticmethod
    def resolve_course(obj: Enrolment) -> str:
        return obj.course.key

    @staticmethod
    def resolve_track(obj: Enrolment) -> str:
        return obj.course.track.key

    @staticmethod
    def resolve_cohort(obj: Enrolment) -> dict[str, Any] | None:
        return {"id": obj.cohort.pk, "name": obj.cohort.name} if obj.cohort else None


class EnrolmentPage(PageMeta):
    items: list[EnrolmentOut]


class DeferralOut(Schema):
    id: int
    enrolment: int = Field(..., alias="enrolment_id")
    booking: int = Field(..., alias="booking_id")
    person: PersonRef
    course: str
    session_starts_at: dt.datetime
    requested_by: PersonRef | None = Field(..., alias="requested_by_person")
    requested_as: Literal["self", "leader"] = Field(..., description="leader = a pull-out by their leader.")
    reason_category: str
    reason: str
    sequence: int
    status: Literal["pending", "approved", "rejected"]
    hr_decision: str
    leader_decision: str
    escalated: bool
    moved_to_booking: int | None = Field(..., alias="moved_to_id")
    created_at: dt.datetime

    @staticmethod
    def resolve_person(obj: Deferral) -> Any:
        return obj.enrolment.person

    @staticmethod
    def resolve_course(obj: Deferral) -> str:
        return obj.booking.session.course.key

    @staticmethod
    def resolve_session_starts_at(obj: Deferral) -> dt.datetime:
        return obj.booking.session.starts_at

    @staticmethod
    def resolve_escalated(obj: Deferral) -> bool:
        return obj.is_escalated


class DeferralPage(PageMeta):
    items: list[DeferralOut]


class EnrolmentIn(Schema):
    person: Id
    course: str = Field(..., description="Course key.")
    due_on: dt.date


class ExemptionIn(Schema):
    reason: str = Field(..., min_length=10, description="Why HR exempts the person; audit-logged.")


class CompletionIn(Schema):
    completed_on: dt.date


class AttendanceIn(Schema):
    attendance: Literal["attended", "absent"]


class DeferralIn(Schema):
    reason_category: Literal["forecast", "customer", "workload", "health", "travel", "other"]
    reason: str = Field(..., min_length=10)


class DecisionIn(Schema):
    role: Literal["hr", "leader"]
    approve: bool
    note: str = ""


class PromotionIn(Schema):
    effective_date: dt.date
    new_title: str | None = None


class PromotionOut(Schema):
    person: PersonRef
    manager_since: dt.date
    enrolments: list[EnrolmentOut]


class EnrolmentQuery(PageParams):
    person: Id | None = None
    course: str = Field("", description="Course key.")
    status: Literal["enrolled", "completed", "exempted", ""] = ""


class DeferralQuery(PageParams):
    status: Literal["pending", "approved", "rejected", ""] = ""
    requested_as: Literal["self", "leader", ""] = ""


# --- Curriculum ---------------------------------------------------------------------------------------------


@router.get(
    "/tracks",
    response={200: list[TrackOut], **COMMON_ERRORS},
    url_name="training_tracks",
    summary="The curriculum: tracks in order, with their courses",
)
def tracks(request: HttpRequest) -> list[Track]:
    return selectors.curriculum(user=caller(request))


@router.get(
    "/courses/{api_id:course_id}",
    response={200: CourseOut, **COMMON_ERRORS},
    url_name="training_course",
    summary="One course",
)
def course(request: HttpRequest, course_id: Id) -> Course:
    return selectors.course_detail(user=caller(request), course_id=course_id)


# --- Enrolments ---------------------------------------------------------------------------------------------


def _enrolments(user: Any) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(person__in=visible_people(user))
        .select_related("person", "course", "course__track", "cohort")
        .order_by("due_on", "pk")
    )


@router.get(
    "/enrolments",
    response={200: EnrolmentPage, **COMMON_ERRORS},
    url_name="training_enrolments",
    summary="Enrolments of people you may see",
)
def enrolments(request: HttpRequest, filters: Query[EnrolmentQuery]) -> dict[str, Any]:
    user = caller(request)
    selectors.require_program(user)
    qs = _enrolments(user)
    if filters.person is not None:
        qs = qs.filter(person_id=filters.person)
    if filters.course:
        qs = qs.filter(course__key=filters.course)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, filters)


@router.get(
    "/enrolments/{api_id:enrolment_id}",
    response={200: EnrolmentOut, **COMMON_ERRORS},
    url_name="training_enrolment",
    summary="One enrolment",
)
def enrolment(request: HttpRequest, enrolment_id: Id) -> Enrolment:
    return get_object_or_404(_enrolments(caller(request)), pk=enrolment_id)


@router.post(
    "/enrolments",
    response={201: EnrolmentOut, **WRITE_ERRORS},
    url_name="training_enrolment_create",
    summary="Enrol someone by hand (HR)",
)
def enrolment_create(request: HttpRequest, data: EnrolmentIn) -> Status:
    user = caller(request)
    person = get_object_or_404(visible_people(user), pk=data.person)
    course = get_object_or_404(Course.objects.filter(is_active=True), key=data.course)
    made = services.enrolment_create(person=person, course=course, actor=user, due_on=data.due_on)
    return Status(201, _enrolments(user).get(pk=made.pk))


@router.post(
    "/enrolments/{api_id:enrolment_id}/exemption",
    response={200: EnrolmentOut, **WRITE_ERRORS},
    url_name="training_exemption",
    summary="Exempt someone from a course (HR, with a reason)",
)
def exemption(request: HttpRequest, enrolment_id: Id, data: ExemptionIn) -> Enrolment:
    user = caller(request)
    target = get_object_or_404(_enrolments(user), pk=enrolment_id)
    services.exemption_grant(enrolment=target, actor=user, reason=data.reason)
    return _enrolments(user).get(pk=enrolment_id)


@router.post(
    "/enrolments/{api_id:enrolment_id}/completion",
    response={200: EnrolmentOut, **WRITE_ERRORS},
    url_name="training_completion",
    summary="Record a completion (HR; e-learning, assignments)",
)
def completion(request: HttpRequest, enrolment_id: Id, data: CompletionIn) -> Enrolment:
    user = caller(request)
    target = get_object_or_404(_enrolments(user), pk=enrolment_id)
    if not is_hr_for(user, target.person):
        raise PermissionDenied("Only HR for this person can record completions.")
    services.enrolment_complete(enrolment=target, actor=user, completed_on=data.completed_on, source="api")
    return _enrolments(user).get(pk=enrolment_id)


# --- Sessions, bookings, attendance -------------------------------------------------------------------------


@router.get(
    "/sessions",
    response={200: list[SessionOut], **COMMON_ERRORS},
    url_name="training_sessions",
    summary="Coming sessions you may see",
)
def sessions(request: HttpRequest, course: str = "") -> list[Session]:
    user = caller(request)
    target = get_object_or_404(Course, key=course) if course else None
    return selectors.sessions_upcoming(user=user, course=target, limit=200)


def _bookings(user: Any) -> QuerySet[Booking]:
    return Booking.objects.filter(person__in=visible_people(user)).select_related(
        "person", "session", "session__course", "session__cohort", "session__facilitator"
    )


@router.get(
    "/sessions/{api_id:session_id}/bookings",
    response={200: list[BookingOut], **COMMON_ERRORS},
    url_name="training_session_bookings",
    summary="A session's roster (people you may see)",
)
def session_bookings(request: HttpRequest, session_id: Id) -> list[Booking]:
    user = caller(request)
    view = selectors.session_detail(user=user, session_id=session_id)
    return list(_bookings(user).filter(session=view.session).order_by("created_at", "pk"))


@router.post(
    "/bookings/{api_id:booking_id}/attendance",
    response={200: BookingOut, **WRITE_ERRORS},
    url_name="training_attendance",
    summary="Mark attendance (HR)",
)
def attendance(request: HttpRequest, booking_id: Id, data: AttendanceIn) -> Booking:
    user = caller(request)
    booking = selectors.booking_for(user=user, booking_id=booking_id)
    services.attendance_mark(booking=booking, actor=user, attendance=data.attendance)
    return _bookings(user).get(pk=booking_id)


# --- Deferrals ----------------------------------------------------------------------------------------------


def _deferrals(user: Any) -> QuerySet[Deferral]:
    return (
        Deferral.objects.filter(pk__in=selectors.deferrals_seen_by(user).values("pk"))
        .select_related("enrolment__person", "booking__session__course", "requested_by_person")
        .order_by("-created_at", "-pk")
    )


@router.get(
    "/deferrals",
    response={200: DeferralPage, **COMMON_ERRORS},
    url_name="training_deferrals",
    summary="Deferrals and pull-outs of people you may see",
)
def deferrals(request: HttpRequest, filters: Query[DeferralQuery]) -> dict[str, Any]:
    user = caller(request)
    selectors.require_program(user)
    qs = _deferrals(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.requested_as:
        qs = qs.filter(requested_as=filters.requested_as)
    return paginate(qs, filters)


@router.get(
    "/deferrals/{api_id:deferral_id}",
    response={200: DeferralOut, **COMMON_ERRORS},
    url_name="training_deferral",
    summary="One deferral",
)
def deferral(request: HttpRequest, deferral_id: Id) -> Deferral:
    return get_object_or_404(_deferrals(caller(request)), pk=deferral_id)


@router.post(
    "/bookings/{api_id:booking_id}/deferrals",
    response={201: DeferralOut, **WRITE_ERRORS},
    url_name="training_deferral_create",
    summary="Ask to defer a session (the person) or pull them out (a leader above them); reason required",
)
def deferral_create(request: HttpRequest, booking_id: Id, data: DeferralIn) -> Status:
    user = caller(request)
    booking = selectors.booking_for(user=user, booking_id=booking_id)
    made = services.deferral_request(
        booking=booking, actor=user, reason_category=data.reason_category, reason=data.reason
    )
    return Status(201, _deferrals(user).get(pk=made.pk))


@router.post(
    "/deferrals/{api_id:deferral_id}/decision",
    response={200: DeferralOut, **WRITE_ERRORS},
    url_name="training_deferral_decide",
    summary="Approve or reject as HR or as the senior leader of the person's line (two approvals move the seat)",
)
def deferral_decision(request: HttpRequest, deferral_id: Id, data: DecisionIn) -> Deferral:
    user = caller(request)
    target = get_object_or_404(_deferrals(user), pk=deferral_id)
    services.deferral_decide(
        deferral=target, actor=user, role=data.role, approve=data.approve, note=data.note
    )
    return _deferrals(user).get(pk=deferral_id)


# --- Promotion ----------------------------------------------------------------------------------------------


@router.post(
    "/people/{api_id:person_id}/promotion",
    response={200: PromotionOut, **WRITE_ERRORS},
    url_name="training_promotion",
    summary="Record a promotion to people manager (HR); enrols them",
)
def promotion(request: HttpRequest, person_id: Id, data: PromotionIn) -> dict[str, Any]:
    user = caller(request)
    person = selectors.promotable(user=user, person_id=person_id)
    services.person_promote(
        person=person, actor=user, effective_date=data.effective_date, new_title=data.new_title
    )
    person.refresh_from_db()
    return {
        "person": person,
        "manager_since": person.manager_since,
        "enrolments": list(_enrolments(user).filter(person=person)),
    }
