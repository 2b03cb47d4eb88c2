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
