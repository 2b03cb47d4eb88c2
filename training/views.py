"""Pages of the manager development program. Thin: parse input, call one selector or service, render.

There is deliberately no "drop out" or "unenrol" view: leaving an enrolment takes an HR exemption with a
reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.forms import apply_errors
from core.http import next_url, safe_next
from people.models import Person
from people.scoping import is_hr_for, me
from training import catch_up as bulk
from training import selectors, services
from training.calendar import feed_ics
from training.forms import (
    AttendanceForm,
    BookSessionForm,
    CatchUpForm,
    CohortForm,
    CompleteForm,
    CourseForm,
    DeferralDecisionForm,
    DeferralRequestForm,
    EnrolForm,
    ExemptionForm,
    ProgramSettingsForm,
    PromotionForm,
    ProviderForm,
    RatingForm,
    SessionCancelForm,
    SessionForm,
)
from training.models import Booking, Course, Deferral, Enrolment, Notice, ProgramSettings, Provider, Track
from training.permissions import leader_approval


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    return render(
        request, template, {"page_title": title, "access": selectors.program_access(request.user), **context}
    )


# ------------------------------------------------------------------------------------------------------------
# Hub and my training
# ------------------------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    access = selectors.require_program(request.user)
    queues = selectors.deferral_queues(user=request.user, limit=200)
    report = selectors.behind_report(user=request.user) if access.runs_program else None
    mine = selectors.my_training(user=request.user) if access.is_enrolled else None
    return _page(
        request,
        "training/home.html",
        "Training",
        queues=queues,
        report=report,
        mine=mine,
        notices=selectors.notices_for(user=request.user, limit=8),
    )


def my_training(request: HttpRequest) -> HttpResponse:
    data = selectors.my_training(user=request.user)
    feed_url = (
        request.build_absolute_uri(reverse("training:calendar_feed", args=[data.feed.token]))
        if data.feed
        else ""
    )
    return _page(
        request,
        "training/my_training.html",
        "My training",
        data=data,
        feed_url=feed_url,
        rating_form=RatingForm(),
    )


@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    person = me(request.user)
    if person is None:
        raise Http404
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(person=person, actor=request.user)
        messages.success(request, "Your calendar feed is turned off; the old address no longer works.")
    elif request.POST.get("action") == "regenerate":
        services.calendar_feed_regenerate(person=person, actor=request.user)
        messages.success(request, "New calendar feed address issued; the old one no longer works.")
    else:
        services.calendar_feed_for(person=person)
        messages.success(request, "Your personal calendar feed is ready.")
    return redirect("training:my_training")


@login_not_required
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal iCalendar feed. Calendar apps cannot sign in: the unguessable token is the credential."""
    feed, bookings = selectors.feed_bookings(token=token)
    body = feed_ics(feed.person, bookings)
    type(feed).objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="training.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    scope_person = me(request.user)
    notice = get_object_or_404(Notice, pk=notice_id, recipient=scope_person)
    services.notice_mark_read(notice=notice, user=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")
    return safe_next(request, "training:home")


@require_POST
def provider_rate(request: HttpRequest, provider_id: int) -> HttpResponse:
    person = me(request.user)
    if person is None:
        raise Http404
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("course__provider"),
        pk=request.POST.get("enrolment"),
        person=person,
        course__provider_id=provider_id,
    )
    form = RatingForm(request.POST)
    if form.is_valid():
        services.provider_rate(
            provider=enrolment.course.provider,
            person=person,
            course=enrolment.course,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, f"Thank you: your rating of {enrolment.course.provider} is saved.")
    else:
        messages.error(request, "Choose a score from 1 to 5.")
    return redirect("training:my_training")


# ------------------------------------------------------------------------------------------------------------
# Curriculum and providers
# ------------------------------------------------------------------------------------------------------------


def curriculum(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1" and selectors.program_access(request.user).runs_program
    tracks = selectors.curriculum(user=request.user, include_inactive=show_all)
    return _page(request, "training/curriculum.html", "Curriculum", tracks=tracks, show_all=show_all)


def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    course = selectors.course_detail(user=request.user, course_id=course_id)
    sessions = selectors.sessions_upcoming(user=request.user, course=course, limit=20)
    return _page(request, "training/course_detail.html", course.title, course=course, sessions=sessions)


def course_edit(request: HttpRequest, course_id: int | None = None) -> HttpResponse:
    selectors.require_runs_program(request.user)
    course = selectors.course_detail(user=request.user, course_id=course_id) if course_id else Course()
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        instance.objectives = form.cleaned_data["objectives_text"]
        try:
            with transaction.atomic():
                services.course_save(
                    course=instance,
                    actor=request.user,
                    competencies=form.cleaned_data["competencies"],
                    prerequisites=form.cleaned_data["prerequisites"],
                    seller_task_keys=form.cleaned_data["seller_tasks_text"],
                )
        except ValidationError as exc:
            if course_id is None:
                instance.pk = None
            apply_errors(form, exc)
        else:
            messages.success(request, f"Saved {instance.title}.")
            return redirect("training:course", instance.pk)
    title = f"Edit {course.title}" if course_id else "New course"
    return _page(request, "training/course_form.html", title, form=form, course=course)


def provider_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "training/providers.html",
        "Provider catalogue",
        providers=selectors.providers(user=request.user),
    )


def provider_detail(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = selectors.provider_detail(user=request.user, provider_id=provider_id)
    ratings = provider.ratings.select_related("rated_by", "course").order_by("-created_at")[:50]
    return _page(request, "training/provider_detail.html", provider.name, provider=provider, ratings=ratings)


def provider_edit(request: HttpRequest, provider_id: int | None = None) -> HttpResponse:
    selectors.require_runs_program(request.user)
    provider = get_object_or_404(Provider, pk=provider_id) if provider_id else Provider()
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.provider_save(provider=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Saved {saved.name}.")
            return redirect("training:provider", saved.pk)
    return _page(
        request,
        "training/provider_form.html",
        f"Edit {provider.name}" if provider_id else "New provider",
        form=form,
        provider=provider,
    )


def program_settings(request: HttpRequest) -> HttpResponse:
    selectors.require_runs_program(request.user)
    form = ProgramSettingsForm(request.POST or None, instance=ProgramSettings.load())
    if request.method == "POST" and form.is_valid():
        services.program_settings_update(actor=request.user, **{k: form.cleaned_data[k] for k in form.fields})
        messages.success(request, "Program settings saved.")
        return redirect("training:settings")
    return _page(request, "training/settings.html", "Program settings", form=form)


# ------------------------------------------------------------------------------------------------------------
# Cohorts and sessions
# ------------------------------------------------------------------------------------------------------------


def cohort_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.cohorts(user=request.user)
    today = timezone.localdate()
    return _page(request, "training/cohorts.html", "Cohorts", cohorts=[(c, c.phase(today)) for c in rows])


def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    view = selectors.cohort_detail(user=request.user, cohort_id=cohort_id)
    return _page(
        request,
        "training/cohort_detail.html",
        view.cohort.name,
        view=view,
        phase=view.cohort.phase(timezone.localdate()),
    )


def cohort_create(request: HttpRequest) -> HttpResponse:
    selectors.require_runs_program(request.user)
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Cohort {cohort.name} created. Now schedule its sessions.")
            return redirect("training:cohort", cohort.pk)
    return _page(request, "training/cohort_form.html", "New cohort", form=form)


def session_create(request: HttpRequest) -> HttpResponse:
    selectors.require_runs_program(request.user)
    initial = {k: request.GET[k] for k in ("course", "cohort") if request.GET.get(k, "").isdigit()}
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Session scheduled; people waiting for one were booked and invited.")
            return redirect("training:session", session.pk)
    return _page(request, "training/session_form.html", "Schedule a session", form=form)


def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    view = selectors.session_detail(user=request.user, session_id=session_id)
    return _page(
        request,
        "training/session_detail.html",
        str(view.session.course.title),
        view=view,
        cancel_form=SessionCancelForm(),
    )


def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    selectors.require_runs_program(request.user)
    view = selectors.session_detail(user=request.user, session_id=session_id)
    session = view.session
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "course"}
        session.refresh_from_db()
        try:
            services.session_update(session=session, actor=request.user, **changes)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, "Session updated; invitations were updated where the time or place changed."
            )
            return redirect("training:session", session.pk)
    return _page(
        request,
        "training/session_form.html",
        f"Edit session: {session.course.title}",
        form=form,
        session=session,
    )


@require_POST
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    selectors.require_runs_program(request.user)
    view = selectors.session_detail(user=request.user, session_id=session_id)
    form = SessionCancelForm(request.POST)
    if form.is_valid():
        services.session_cancel(session=view.session, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(
            request, "Session cancelled; everyone booked was told and moved to the next session."
        )
    else:
        messages.error(request, "Give the reason for cancelling (at least 10 characters).")
    return redirect("training:session", session_id)


@require_POST
def attendance_mark(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for(user=request.user, booking_id=booking_id)
    form = AttendanceForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            booking = services.attendance_mark(
                booking=booking, actor=request.user, attendance=form.cleaned_data["attendance"]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except PermissionDenied as exc:
            error = str(exc)
    else:
        error = "Choose attended or absent."
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "training/_roster_row.html", {"b": booking, "can_mark": True, "error": error})
    if error:
        messages.error(request, error)
    return redirect("training:session", booking.session_id)


# ------------------------------------------------------------------------------------------------------------
# Deferrals and exemptions
# ------------------------------------------------------------------------------------------------------------


def deferral_request(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for(user=request.user, booking_id=booking_id)
    form = DeferralRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deferral = services.deferral_request(booking=booking, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Request sent to HR and senior leadership for approval.")
            return redirect("training:deferral", deferral.pk)
    own = booking.person_id == selectors.program_access(request.user).person_id
    title = "Ask to defer my session" if own else f"Pull {booking.person.full_name} out of a session"
    back = next_url(request) or reverse("training:session", args=[booking.session_id])
    return _page(
        request, "training/deferral_request.html", title, form=form, booking=booking, own=own, back=back
    )


def deferral_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "training/deferrals.html",
        "Deferrals and pull-outs",
        queues=selectors.deferral_queues(user=request.user),
    )


def deferral_detail(request: HttpRequest, deferral_id: int) -> HttpResponse:
    deferral = selectors.deferral_detail(user=request.user, deferral_id=deferral_id)
    person = deferral.enrolment.person
    labels = {"hr": "Decide as HR", "leader": "Decide as the senior leader"}
    roles = [(role, labels[role]) for role in selectors.decision_roles(user=request.user, deferral=deferral)]
    forms = [(label, DeferralDecisionForm(initial={"role": role})) for role, label in roles]
    history = list(
        Deferral.objects.filter(enrolment__person=person, enrolment__course=deferral.enrolment.course)
        .select_related("requested_by_person", "booking__session", "hr_decided_by__person",
                        "leader_decided_by__person")
        .order_by("created_at")
    )
    return _page(
        request,
        "training/deferral_detail.html",
        f"Deferral of {person.full_name}",
        deferral=deferral,
        person=person,
        decision_forms=forms,
        history=history,
        leader_approval=leader_approval(deferral),
        facts=selectors.decision_facts(user=request.user, deferral=deferral),
    )


@require_POST
def deferral_decide(request: HttpRequest, deferral_id: int) -> HttpResponse:
    deferral = selectors.deferral_detail(user=request.user, deferral_id=deferral_id)
    form = DeferralDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("training:deferral", deferral.pk)
    try:
        services.deferral_decide(
            deferral=deferral,
            actor=request.user,
            role=form.cleaned_data["role"],
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Decision recorded.")
    return redirect("training:deferral", deferral.pk)


def exemption_grant(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.enrolment_for(user=request.user, enrolment_id=enrolment_id)
    if not is_hr_for(request.user, enrolment.person):
        raise Http404
    form = ExemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exemption_grant(
                enrolment=enrolment, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"{enrolment.person.full_name} is exempted from {enrolment.course.title}."
            )
            return redirect("training:person", enrolment.person_id)
    return _page(
        request,
        "training/exemption_form.html",
        f"Exempt {enrolment.person.full_name}",
        form=form,
        enrolment=enrolment,
    )


@require_POST
def enrolment_book(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """HR: book the person into the session chosen on their training page or on "Who is behind"."""
    enrolment = selectors.enrolment_for(user=request.user, enrolment_id=enrolment_id)
    if not is_hr_for(request.user, enrolment.person):
        raise Http404
    form = BookSessionForm(request.POST, course=enrolment.course)
    if form.is_valid():
        try:
            booking = services.enrolment_book(
                enrolment=enrolment, session=form.cleaned_data["session"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{enrolment.person.full_name} has a seat in {enrolment.course.title} on "
                f"{timezone.localtime(booking.session.starts_at):%d %b %Y} and is sent the invitation.",
            )
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return safe_next(request, reverse("training:person", args=[enrolment.person_id]))


@require_POST
def enrolment_complete(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.enrolment_for(user=request.user, enrolment_id=enrolment_id)
    if not is_hr_for(request.user, enrolment.person):
        raise Http404
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            services.enrolment_complete(
                enrolment=enrolment, actor=request.user, completed_on=form.cleaned_data["completed_on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Recorded {enrolment.course.title} as completed.")
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("training:person", enrolment.person_id)


# ------------------------------------------------------------------------------------------------------------
# People: promotion, a person's training, accountability, behind, compliance
# ------------------------------------------------------------------------------------------------------------


def person_training(request: HttpRequest, person_id: int) -> HttpResponse:
    progress = selectors.person_training(user=request.user, person_id=person_id)
    assert progress is not None
    person = progress.person
    hr = is_hr_for(request.user, person)
    return _page(
        request,
        "training/person.html",
        f"Training: {person.full_name}",
        progress=progress,
        person=person,
        hr=hr,
        enrol_form=EnrolForm() if hr else None,
        complete_form=CompleteForm(initial={"completed_on": timezone.localdate()}),
        today=timezone.localdate(),
    )


@require_POST
def person_enrol(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.promotable(user=request.user, person_id=person_id)
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            services.enrolment_create(
                person=person,
                course=form.cleaned_data["course"],
                actor=request.user,
                due_on=form.cleaned_data["due_on"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Enrolled {person.full_name} in {form.cleaned_data['course']}.")
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("training:person", person.pk)


def person_promote(request: HttpRequest, person_id: int) -> HttpResponse:
    """HR: Record promotion to people manager. Enrols the person by the program rules and invites them."""
    person = selectors.promotable(user=request.user, person_id=person_id)
    form = PromotionForm(
        request.POST or None, initial={"effective_date": timezone.localdate(), "new_title": person.job_title}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_promote(
                person=person,
                actor=request.user,
                effective_date=form.cleaned_data["effective_date"],
                new_title=form.cleaned_data["new_title"] or None,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            count = Enrolment.objects.filter(person=person, status=Enrolment.Status.ENROLLED).count()
            seats = Booking.objects.filter(
                person=person, status=Booking.Status.CONFIRMED, session__starts_at__gt=timezone.now()
            ).count()
            messages.success(
                request,
                f"Recorded {person.full_name}'s promotion. They are enrolled in {count} "
                f"courses and invited to {seats} sessions.",
            )
            return redirect("training:person", person.pk)
    return _page(
        request, "training/promote.html", f"Record promotion: {person.full_name}", form=form, person=person
    )


def accountability(request: HttpRequest, leader_id: int | None = None) -> HttpResponse:
    data = selectors.leader_accountability(user=request.user, leader_id=leader_id)
    title = (
        "My managers' training"
        if data.leader.pk == selectors.program_access(request.user).person_id
        else (f"Accountability: {data.leader.full_name}")
    )
    return _page(request, "training/accountability.html", title, data=data)


def catch_up(request: HttpRequest) -> HttpResponse:
    """HR: enrol senior leaders and long-serving managers in bulk. Choose whom and by when, see who would be
    enrolled in what, untick anyone, confirm."""
    selectors.require_runs_program(request.user)
    today = timezone.localdate()
    cfg = ProgramSettings.load()
    data = request.POST if request.method == "POST" else (request.GET if "first_due_on" in request.GET else None)
    form = CatchUpForm(
        data,
        units=selectors.catch_up_units(user=request.user),
        initial={
            "groups": list(bulk.GROUPS),
            "tracks": list(Track.objects.filter(is_active=True)),
            "first_due_on": today + dt.timedelta(days=cfg.catch_up_due_days),
        },
    )
    plan = None
    if data is not None and form.is_valid():
        params = form.cleaned_data
        candidates = bulk.catch_up_candidates(
            user=request.user, units=params["units"], groups=params["groups"], today=today
        )
        if request.method == "POST":
            chosen = list(candidates.filter(pk__in=[p for p in request.POST.getlist("person") if p.isdigit()]))
            try:
                done = services.catch_up_enrol(
                    actor=request.user, people=chosen, tracks=params["tracks"],
                    first_due_on=params["first_due_on"], today=today,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Enrolled {len(done.people)} {'person' if len(done.people) == 1 else 'people'} "
                    f"in {done.course_count} courses. Each is told by email and sees the due dates on their "
                    "training page.",
                )
                return redirect("training:behind")
        plan = bulk.catch_up_plan(
            user=request.user, people=candidates, tracks=params["tracks"],
            first_due_on=params["first_due_on"], today=today,
        )
    return _page(request, "training/catch_up.html", "Enrol senior leaders and long-serving managers",
                 form=form, plan=plan)


def behind(request: HttpRequest) -> HttpResponse:
    track_id = request.GET.get("track")
    report = selectors.behind_report(
        user=request.user, track_id=int(track_id) if track_id and track_id.isdigit() else None
    )
    return _page(
        request,
        "training/behind.html",
        "Who is behind",
        report=report,
        needing_seats=selectors.offer_seats(user=request.user, progress=report.behind),
        leaders=selectors.leaders(user=request.user),
        track_filter=track_id or "",
    )


def compliance(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "expiring")
    data = selectors.compliance(user=request.user)
    return _page(
        request,
        "training/compliance.html",
        "Compliance certificates",
        data=data,
        view=view if view in ("expiring", "expired", "never") else "expiring",
    )


def person_lookup(request: HttpRequest) -> HttpResponse:
    """HR: find the person to record a promotion for."""
    selectors.require_runs_program(request.user)
    query = (request.GET.get("q") or "").strip()
    people: list[Person] = []
    if query:
        from people.selectors import person_directory

        people = list(person_directory(user=request.user, query=query)[:25])
    template = "training/_people_results.html" if request.htmx else "training/people.html"  # type: ignore[attr-defined]
    return _page(request, template, "Record a promotion", people=people, query=query)
