from __future__ import annotations

import pytest

from core.bulk import update_columns
from people.models import Person

pytestmark = pytest.mark.django_db


def test_update_columns_sets_values_nulls_and_foreign_keys(company):
    rows = [(company.sam.pk, None, "/x/", 3), (company.sara.pk, company.mick.pk, "/y/", 0)]
    assert update_columns(Person, ["manager", "path", "depth"], rows) == 2
    sam, sara = Person.objects.get(pk=company.sam.pk), Person.objects.get(pk=company.sara.pk)
    assert (sam.manager_id, sam.path, sam.depth) == (None, "/x/", 3)
    assert (sara.manager_id, sara.path, sara.depth) == (company.mick.pk, "/y/", 0)
    assert Person.objects.get(pk=company.sid.pk).manager_id == company.mick.pk  # untouched


def test_update_columns_chunks_large_inputs(company):
    people = list(Person.objects.all())
    rows = [(p.pk, f"/{p.pk}/") for p in people] * 100  # more rows than one statement takes
    update_columns(Person, ["path"], rows)
    assert all(p.path == f"/{p.pk}/" for p in Person.objects.all())


def test_update_columns_with_nothing_to_do_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert update_columns(Person, ["path"], []) == 0
