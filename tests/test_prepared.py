"""linli.core.prepared: a queryset compiled once answers as Django does, for every value."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import Post, User
from linli.cases.models import Category
from linli.core.prepared import Prepared

pytestmark = pytest.mark.django_db


def posts_of(user_id):
    return Post.objects.filter(user_id=user_id, active=True).select_related("region", "department")


def rows(objs):
    return [(o.pk, o.role, o.region_id, o.department_id, o.created_at) for o in objs]


def test_every_user_gets_what_django_gives_with_one_query_and_the_related_rows_loaded():
    prepared = Prepared(posts_of)
    users = list(User.objects.filter(posts__isnull=False).distinct())
    assert len(users) >= 4
    for user in users:
        expected = list(posts_of(user.pk))
        with CaptureQueriesContext(connection) as queries:
            got = prepared(user_id=user.pk)
            # the joined rows came with it: no query for the region or the department
            names = [
                (p.region.name if p.region_id else None, p.department and p.department.name) for p in got
            ]
        assert len(queries) == 1
        assert rows(got) == rows(expected)
        assert names == [
            (p.region.name if p.region_id else None, p.department and p.department.name) for p in expected
        ]
        # converted as Django converts (SQLite stores the timestamp as text)
        assert all(p.created_at.tzinfo is not None for p in got)
    assert len(prepared._plans) == 1  # compiled once


def test_strings_and_several_values_go_where_they_belong():
    prepared = Prepared(lambda code, level: Category.objects.filter(code=code, level=level))
    some = Category.objects.exclude(parent=None).first()
    assert [c.pk for c in prepared(code=some.code, level=some.level)] == [some.pk]
    assert prepared(code=some.code, level="no-such-level") == []
    assert prepared(code="no-such-code", level=some.level) == []


def test_none_runs_as_django_would():
    """``None`` becomes IS NULL: a different query, so the plain queryset answers."""
    prepared = Prepared(lambda parent: Category.objects.filter(parent_id=parent))
    tops = prepared(parent=None)
    assert tops and all(c.parent_id is None for c in tops)
    assert {c.pk for c in tops} == set(Category.objects.filter(parent=None).values_list("pk", flat=True))
    child = Category.objects.exclude(parent=None).first()
    assert child.pk in {c.pk for c in prepared(parent=child.parent_id)}


def test_a_value_django_transforms_is_refused_at_the_first_call():
    with pytest.raises(ValueError, match="name"):
        Prepared(lambda name: Category.objects.filter(name__contains=name))(name="乱")


def test_only_querysets_of_model_instances():
    with pytest.raises(TypeError):
        Prepared(lambda code: Category.objects.filter(code=code).values("pk"))(code="0403")
    with pytest.raises(TypeError, match="annotations"):
        Prepared(lambda code: Category.objects.filter(code=code).annotate(n=Count("children")))(code="0403")
