from __future__ import annotations

import pytest

from people.scoping import hr_partners_for, is_above, is_hr_for, led_or_supported, me, visible_people

pytestmark = pytest.mark.django_db


def names(company, who: str) -> set[str]:
    return set(visible_people(company.user(who)).values_list("first_name", flat=True))


def test_admin_sees_everyone(company):
    assert names(company, "admin") == {
        "Vera", "Dirk", "Nora", "Mick", "Sam", "Sara", "Lou", "Sid", "Hana", "Otto", "Eve"
    }


def test_vp_sees_whole_subtree_but_not_other_functions(company):
    assert names(company, "vera") == {"Vera", "Dirk", "Nora", "Mick", "Sam", "Sara", "Lou", "Sid"}


def test_director_sees_only_own_subtree(company):
    assert names(company, "dirk") == {"Dirk", "Nora", "Sam", "Sara", "Lou"}


def test_manager_sees_self_and_direct_reports(company):
    assert names(company, "nora") == {"Nora", "Sam", "Sara", "Lou"}
    assert names(company, "mick") == {"Mick", "Sid"}


def test_seller_sees_only_themselves(company):
    assert names(company, "sam") == {"Sam"}


def test_hr_partner_sees_supported_units_and_self(company):
    assert names(company, "hana") == {"Hana", "Dirk", "Nora", "Sam", "Sara", "Lou"}


def test_outsider_sees_only_themselves(company):
    assert names(company, "otto") == {"Otto"}


def test_me_is_the_signed_in_person_or_none(company):
    from django.contrib.auth.models import AnonymousUser

    assert me(company.user("nora")) == company.nora
    assert me(AnonymousUser()) is None


def test_led_or_supported_is_the_bulk_form_of_above_or_hr_for(company):
    people = list(visible_people(company.user("admin")))
    for who in ("admin", "vera", "dirk", "nora", "sam", "hana", "otto"):
        user = company.user(who)
        bulk = set(led_or_supported(user).values_list("pk", flat=True))
        visible = set(visible_people(user).values_list("pk", flat=True))
        one_by_one = {
            p.pk for p in people
            if p.pk in visible and p.pk != getattr(me(user), "pk", None) and (is_above(user, p) or is_hr_for(user, p))
        }
        assert bulk == one_by_one, who
    assert set(led_or_supported(company.user("nora")).values_list("first_name", flat=True)) == {"Sam", "Sara", "Lou"}
    assert set(led_or_supported(company.user("hana")).values_list("first_name", flat=True)) == {
        "Dirk", "Nora", "Sam", "Sara", "Lou"
    }


def test_hr_partners_for_names_the_partners_of_the_unit(company):
    assert [p.first_name for p in hr_partners_for(company.nora)] == ["Hana"]
    assert hr_partners_for(company.otto) == []


def test_access_sync_asks_the_owner_before_moving_a_sign_in(company, mailoutbox, django_capture_on_commit_callbacks):
    from accounts.models import SignInEmailChange
    from people.services import access_sync

    company.sam.email = "samuel@acme.example"
    company.sam.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = access_sync()
    company.sam.user.refresh_from_db()
    assert company.sam.user.email == "sam@acme.example"  # the sign-in has not moved
    assert result["sign_in_changes_to_confirm"] == 1
    change = SignInEmailChange.objects.get(user=company.sam.user)
    assert (change.old_email, change.new_email, change.is_open) == ("sam@acme.example", "samuel@acme.example", True)
    assert sorted(m.to[0] for m in mailoutbox) == ["sam@acme.example", "samuel@acme.example"]
    with django_capture_on_commit_callbacks(execute=True):
        access_sync()  # asking again for the same address sends nothing new
    assert len(mailoutbox) == 2
    assert SignInEmailChange.objects.filter(user=company.sam.user).count() == 1


def test_access_sync_never_links_a_person_to_an_existing_account(company):
    from accounts.models import User
    from people.models import Person
    from people.services import access_sync

    shadow = Person.objects.create(employee_id="E99990", first_name="Shadow", last_name="Admin",
                                   email=company.admin.email, function="sales", hire_date="2020-01-01",
                                   org_unit=company.sam.org_unit)
    result = access_sync()
    shadow.refresh_from_db()
    assert shadow.user_id is None
    assert result["sign_ins_withheld"] == 1
    assert User.objects.filter(email=company.admin.email).count() == 1
    assert not hasattr(User.objects.get(pk=company.admin.pk), "person") or company.admin.person is None


def test_access_sync_never_deactivates_an_administrator(company):
    from accounts.models import User
    from people.models import Person
    from people.services import access_sync

    admin_person = Person.objects.create(employee_id="E77777", first_name="Ada", last_name="Admin",
                                         email=company.admin.email, function="hr", hire_date="2020-01-01",
                                         user=company.admin, status="inactive")
    assert admin_person.user_id == company.admin.pk
    result = access_sync()
    assert User.objects.get(pk=company.admin.pk).is_active
    assert result["administrators_kept_active"] == 1


def test_access_sync_derives_sales_roles_from_the_tree_and_keeps_manual_grants(company):
    from accounts.models import Role, RoleGrant
    from people.services import access_sync

    sales_roles = RoleGrant.objects.exclude(role__in=[Role.ADMINISTRATOR, Role.HR_PARTNER])
    sales_roles.exclude(user__email="nora@acme.example").delete()
    access_sync()
    grants = set(RoleGrant.objects.values_list("user__email", "role", "source"))
    roles = {(email.split("@")[0], role) for email, role, _ in grants}
    assert {r for r in roles if r[1] in (Role.SELLER, Role.SALES_MANAGER, Role.SENIOR_SALES_LEADER)} == {
        ("vera", Role.SALES_MANAGER), ("vera", Role.SENIOR_SALES_LEADER),
        ("dirk", Role.SALES_MANAGER), ("dirk", Role.SENIOR_SALES_LEADER),
        ("nora", Role.SALES_MANAGER), ("mick", Role.SALES_MANAGER),
        ("sam", Role.SELLER), ("sara", Role.SELLER), ("sid", Role.SELLER),
    }
    assert ("nora@acme.example", Role.SALES_MANAGER, "manual") in grants  # untouched
    assert ("hana@acme.example", Role.HR_PARTNER, "manual") in grants
    company.sam.manager = None
    company.sam.status = "inactive"
    company.sam.save()
    access_sync()
    assert not RoleGrant.objects.filter(user__email="sam@acme.example").exists()
    company.sam.user.refresh_from_db()
    assert company.sam.user.is_active is False
