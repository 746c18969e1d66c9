"""core.bulk.reserve_ids: keys reserved for rows inserted with them are new (past the
largest key and past keys once used and deleted), and what the database numbers after
them does not collide with them; on SQLite only under an atomic block's write lock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from linli.core.bulk import insert_rows, reserve_ids
from linli.core.models import Tally


def tally(value: str) -> Tally:
    return Tally.objects.create(measure="test", value=value, region="r")


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_sqlite_reserves_keys_only_under_the_write_lock():
    """Outside an atomic block SQLite holds no write lock, so another writer could take the
    same keys: refused, the AUTOINCREMENT counter untouched. Run on a thread of its own,
    whose connection is outside the test's transaction."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's sequence hands each key out once without a lock")

    def counter():
        with connection.cursor() as cur:
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [Tally._meta.db_table])
            return cur.fetchall()

    def outside():
        try:
            assert not connection.in_atomic_block
            before = counter()
            with pytest.raises(RuntimeError, match="atomic block"):
                reserve_ids(Tally, 5)
            return before, counter()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        before, after = pool.submit(outside).result()
    assert after == before


def test_defaults_written_into_the_statement_are_quoted_literals():
    from linli.core.bulk import _literals

    assert _literals([None, True, 0, 7, "", "it's"]) == ["NULL", "1", "0", "7", "''", "'it''s'"]
    assert _literals(["ok", 1.5]) is None  # anything else is bound with each row instead
    assert _literals(["a\x00b"]) is None


@pytest.mark.django_db
def test_columns_not_named_get_the_fields_defaults():
    """A dated row and the defaults of the columns not named: the same as the ORM writes."""
    from linli.core.models import AuditEntry

    with transaction.atomic():
        insert_rows(Tally, ("measure", "value", "region"), [("test", "o'clock", "r"), ("test", "b", "r")])
    got = {t.value: (t.n, t.district_id) for t in Tally.objects.filter(measure="test")}
    assert got == {"o'clock": (0, None), "b": (0, None)}
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic():
        insert_rows(AuditEntry, ("at", "action", "object_type", "object_id", "changes"),
                    [(now, "create", "test.bulk", "1", {"day": dt.date(2026, 1, 2).isoformat()})])  # fmt: skip
    entry = AuditEntry.objects.get(object_type="test.bulk")
    assert (entry.at, entry.changes, entry.actor_name, entry.ip) == (now, {"day": "2026-01-02"}, "", None)


@pytest.mark.django_db
def test_an_import_has_a_large_page_cache_and_gives_it_back(settings):
    from linli.core.bulk import large_cache

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache only")

    def cache_size():
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size")
            return cur.fetchone()[0]

    settings.LINLI_SQLITE_IMPORT_CACHE_MB = 300
    before = cache_size()
    with large_cache():
        assert cache_size() == -300 * 1024
    assert cache_size() == before
    with pytest.raises(ValueError), large_cache():
        raise ValueError
    assert cache_size() == before


def test_cycle_collection_is_off_inside_and_as_it_was_after():
    import gc

    from linli.core.bulk import without_cycle_collection

    assert gc.isenabled()
    with without_cycle_collection():
        assert not gc.isenabled()
        with without_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner block leaves it off for the outer one"
    assert gc.isenabled()
    with pytest.raises(ValueError), without_cycle_collection():
        raise ValueError
    assert gc.isenabled()
