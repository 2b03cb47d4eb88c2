"""API token services: create, revoke, authenticate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create, api_token_revoke
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_create_stores_only_the_digest(company):
    user = company.user("nora")
    token, raw = api_token_create(user=user, name="  CRM sync  ")
    assert raw.startswith("pmt_")
    assert len(raw) == 47
    token.refresh_from_db()
    assert token.name == "CRM sync"
    assert token.digest == ApiToken.digest_of(raw)
    assert token.prefix == raw[:10]
    stored = [str(v) for v in ApiToken.objects.values_list(flat=False).get(pk=token.pk)]
    assert raw not in stored
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == user
    assert raw not in str(event.details)
    assert raw not in event.summary


def test_each_token_is_different(company):
    user = company.user("nora")
    raws = {api_token_create(user=user, name="t")[1] for _ in range(5)}
    assert len(raws) == 5


def test_create_rejects_blank_and_long_names(company):
    user = company.user("nora")
    with pytest.raises(ValidationError) as blank:
        api_token_create(user=user, name="   ")
    assert "name" in blank.value.message_dict
    with pytest.raises(ValidationError):
        api_token_create(user=user, name="x" * 101)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_revoke_is_idempotent_and_audited_once(company):
    user = company.user("nora")
    token, _ = api_token_create(user=user, name="t")
    first = api_token_revoke(token=token, actor=user)
    assert first.revoked_at is not None
    second = api_token_revoke(token=token, actor=user)
    assert second.revoked_at == first.revoked_at
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_only_owner_or_admin_may_revoke(company):
    token, _ = api_token_create(user=company.user("nora"), name="t")
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=company.user("dirk"))  # her director is still not the owner
    token.refresh_from_db()
    assert token.revoked_at is None
    api_token_revoke(token=token, actor=company.admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor == company.admin
    assert "nora@acme.example" in event.summary


def test_authenticate(company):
    user = company.user("sam")
    token, raw = api_token_create(user=user, name="t")
    assert api_token_authenticate(raw=raw) == user
    assert api_token_authenticate(raw=f"  {raw} ") == user
    assert api_token_authenticate(raw=raw.upper()) is None
    assert api_token_authenticate(raw=raw[:-1]) is None
    assert api_token_authenticate(raw="") is None
    assert api_token_authenticate(raw=token.digest) is None


def test_authenticate_rejects_revoked_and_inactive(company):
    user = company.user("sam")
    token, raw = api_token_create(user=user, name="t")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_token_authenticate(raw=raw) is None
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert api_token_authenticate(raw=raw) == user
    api_token_revoke(token=token, actor=user)
    assert api_token_authenticate(raw=raw) is None


def test_authenticate_touches_last_used_at_once_a_minute(company, django_assert_num_queries):
    token, raw = api_token_create(user=company.user("sam"), name="t")
    with django_assert_num_queries(2):  # lookup + first touch
        api_token_authenticate(raw=raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # lookup only: used again within the minute
        api_token_authenticate(raw=raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(seconds=61))
    api_token_authenticate(raw=raw)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first - dt.timedelta(seconds=1)
    assert token.last_used_at > timezone.now() - dt.timedelta(seconds=5)
