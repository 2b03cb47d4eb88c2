"""The training card on the home page: `{% load training_tags %}{% training_home_card %}`."""

from __future__ import annotations

from typing import Any

from django import template

from training import selectors
from training.models import Deferral
from training.permissions import is_hr_for, is_senior_leader_over

register = template.Library()


@register.inclusion_tag("training/_home_card.html", takes_context=True)
def training_home_card(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    access = selectors.program_access(user)
    if not access.sees_program:
        return {"show": False}
    mine = selectors.my_training(user=user).progress if access.is_enrolled else None
    awaiting = 0
    if access.runs_program or access.is_leader:
        pending = Deferral.objects.filter(status=Deferral.Status.PENDING).select_related(
            "enrolment__person__org_unit"
        )
        awaiting = sum(
            1
            for d in pending
            if d.requested_by_id != user.pk
            and (
                (d.hr_decision == Deferral.Decision.PENDING and is_hr_for(user, d.enrolment.person))
                or (
                    d.leader_decision == Deferral.Decision.PENDING
                    and is_senior_leader_over(user, d.enrolment.person)
                )
            )
        )
    return {"show": True, "access": access, "mine": mine, "awaiting": awaiting}
