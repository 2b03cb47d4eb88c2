"""Template helpers for the insights pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from people.models import Person
from people.scoping import may_see_as_seller

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key (None when absent)."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def heat_level(share: float | None) -> int:
    """0-4 for a share of sellers (0-1), for the gap map's cell shading."""
    if not share:
        return 0
    return min(4, 1 + int(share * 8))


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def ordinal(value: float | None) -> str:
    """42 -> "42nd"."""
    from insights.analysis.diagnostics import ordinal as ordinal_text

    return "—" if value is None else ordinal_text(value)


@register.filter
def money(value: float | None) -> str:
    """12345 -> "12k"."""
    from insights.analysis.situations import money_words

    return "—" if value is None else money_words(float(value))


@register.filter
def amount(value: float | None) -> str:
    """An exact amount, as a CRM report shows it: 1234567.5 -> "1,234,567.50", 12000 -> "12,000"."""
    if value is None:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if number == round(number) else f"{number:,.2f}"


@register.inclusion_tag("insights/_home_card.html", takes_context=True)
def insights_home_card(context: dict[str, Any]) -> dict[str, Any]:
    """The home page card: a manager's team needs or a seller's coaching priorities, with a link to the page."""
    from insights.selectors import home_card

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"card": None}
    return {"card": home_card(user=user)}


@register.simple_tag(takes_context=True)
def seller_diagnostic_url(context: template.Context, person: Person) -> str:
    """`{% seller_diagnostic_url person as url %}`: the address of a seller's diagnostic when the reader may open
    it, else "" (a manager, an engineer, or a seller outside the reader's scope get no link)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or not may_see_as_seller(user, person):
        return ""
    return reverse("insights:seller", args=[person.pk])
