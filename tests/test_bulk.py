"""core.bulk.reserve_ids: keys reserved for rows inserted with them are new (past the
largest key and past keys once used and deleted), and what the database numbers after
them does not collide with them."""

from __future__ import annotations

import pytest
from django.db import transaction

from linli.core.bulk import insert_rows, reserve_ids
from linli.core.models import Tally

pytestmark = pytest.mark.django_db


def tally(value: str) -> Tally:
    return Tally.objects.create(measure="test", value=value, region="r")


def test_reserved_keys_are_new_and_the_database_numbers_past_them():
    kept, gone = tally("kept").pk, tally("gone").pk
    Tally.objects.filter(pk=gone).delete()  # its key is not handed out again (AUTOINCREMENT; a sequence)
    with transaction.atomic():
        ids = list(reserve_ids(Tally, 3))
        assert len(set(ids)) == 3
        assert min(ids) > gone > kept
        insert_rows(Tally, ("id", "measure", "value", "region"), [(pk, "test", f"v{pk}", "r") for pk in ids])
    assert (
        list(
            Tally.objects.filter(measure="test", value__startswith="v")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        == ids
    )
    after = tally("after")
    assert after.pk > max(ids)
    with transaction.atomic():
        again = list(reserve_ids(Tally, 2))
    assert min(again) > after.pk
    with transaction.atomic():
        assert list(reserve_ids(Tally, 0)) == []
