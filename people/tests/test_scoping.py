from __future__ import annotations

import pytest

from people.scoping import visible_people

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


def test_access_sync_follows_an_email_change(company):
    from people.services import access_sync

    company.sam.email = "samuel@acme.example"
    company.sam.save()
    result = access_sync()
    company.sam.user.refresh_from_db()
    assert result["users_renamed"] == 1
    assert company.sam.user.email == "samuel@acme.example"
    assert access_sync()["users_renamed"] == 0


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
