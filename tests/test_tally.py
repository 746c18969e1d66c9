"""The counts the database keeps (``core.tally``): exact after every kind of write (the
services, queryset updates, bulk inserts, deletes, moves between regions), and the
dashboard reads the same numbers from them as from the tables themselves."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from linli.cases.models import Case, Status
from linli.core import tally
from linli.core.bulk import insert_rows, update_column
from linli.core.dates import years_ago
from linli.core.models import Tally
from linli.core.scoping import restrict
from linli.core.testing import COMMUNITY_A, DISTRICT, GRID_A, GRID_B, SUBDISTRICT
from linli.dashboard import figures, gridmap
from linli.people.models import Household, Resident
from linli.regions.models import Region
from linli.visits.models import Visit
from tests.test_dashboard import world  # noqa: F401  (fixture)
from tests.test_people import register
from tests.test_visits import visit

SCOPE = ["district_id", "subdistrict_id", "community_id", "grid_id"]


def assert_exact() -> None:
    for m in tally.all_measures():
        assert tally.differences(m) == [], m.name


def ages(users) -> None:
    """Residents born on each side of every age band's boundary."""
    today = timezone.localdate()
    for i, years in enumerate((0, 18, 60, 80)):
        edge = years_ago(years, today)
        for j, born in enumerate(
            (edge, edge + dt.timedelta(days=1), edge.replace(day=1), edge - dt.timedelta(days=40))
        ):
            if born <= today:
                register(users, f"界{i}{j}", birth=f"{born:%Y%m%d}", seq=f"{5 + i}{j}1", room=f"E{i}{j}")


@pytest.fixture
def spread(world):  # noqa: F811
    """Cases that came in, closed and fall due across months and today's hours."""
    now = timezone.now()
    cases = list(Case.objects.order_by("pk"))
    shifts = [dt.timedelta(days=d) for d in (0, 3, 33, 65, 400)]
    for case, shift in zip(cases * 2, shifts, strict=False):
        Case.objects.filter(pk=case.pk).update(created_at=now - shift)
    Case.objects.filter(pk=cases[0].pk).update(closed_at=now - dt.timedelta(days=35))
    Case.objects.filter(pk=cases[1].pk).update(due_at=timezone.localtime(now).replace(hour=0, minute=5))
    Case.objects.filter(pk=cases[2].pk).update(due_at=now + dt.timedelta(minutes=30))
    ages(world)
    # visits on either side of a month's first hour, early today, and months back
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=30)
    done = list(Visit.objects.select_related("household").order_by("pk"))
    for v, at in zip(done, (now - dt.timedelta(days=33), now - dt.timedelta(days=400)), strict=False):
        Visit.objects.filter(pk=v.pk).update(visited_at=at)
    for at in (month_start, month_start - dt.timedelta(hours=1), local.replace(hour=0, minute=5)):
        visit(world, household=done[0].household, visited_at=min(at, now))
    return world


def test_counts_follow_every_write(spread):
    assert Tally.objects.filter(measure="resident.type").exists()
    assert_exact()
    r = Resident.objects.filter(grid_id=GRID_A).first()
    Resident.objects.filter(pk=r.pk).update(
        grid_id=GRID_B, community_id=Region.objects.get(code=GRID_B).community_id, residence_type="floating"
    )
    Resident.objects.filter(pk=Resident.objects.last().pk).update(archived_at=timezone.localdate())
    Resident.objects.filter(pk=Resident.objects.first().pk).update(birth_date=None)
    Household.objects.filter(pk=Household.objects.first().pk).update(archived_at=timezone.localdate())
    Case.objects.filter(status=Status.REPORTED).update(status=Status.ACCEPTED)
    Case.objects.filter(pk=Case.objects.first().pk).update(due_at=None, closed_at=timezone.now())
    home = Resident.objects.filter(grid_id=GRID_A).first().housing_unit_id
    insert_rows(
        Resident,
        [
            "name",
            "birth_date",
            "residence_type",
            "housing_unit_id",
            "district_id",
            "subdistrict_id",
            "community_id",
            "grid_id",
        ],
        [
            ("批量", dt.date(1950 + i, 1, 2), "registered", home, DISTRICT, SUBDISTRICT, COMMUNITY_A, GRID_A)
            for i in range(5)
        ],
    )
    assert_exact()
    # one UPDATE joined to a VALUES list (an import's heads of household): text values too
    batch = list(Resident.objects.filter(name="批量").values_list("pk", flat=True)[:3])
    update_column(Resident, "residence_type", [(pk, "floating") for pk in batch])
    assert Resident.objects.filter(pk__in=batch, residence_type="floating").count() == 3
    assert_exact()
    with tally.deferred(Resident):  # as an import inserts: counted together at the end
        insert_rows(
            Resident,
            ["name", "birth_date", "residence_type", "housing_unit_id", *SCOPE],
            [
                (
                    "一起",
                    dt.date(1960 + i, 3, 4),
                    "floating",
                    home,
                    DISTRICT,
                    SUBDISTRICT,
                    COMMUNITY_A,
                    GRID_A,
                )
                for i in range(4)
            ],
        )
        if connection.vendor == "sqlite":
            assert not tally.attached(next(m for m in tally.all_measures() if m.table == "people_resident"))
    assert all(tally.attached(m) for m in tally.all_measures())
    assert_exact()
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        tally.deferred(Resident),
    ):  # a failed import changes nothing
        insert_rows(
            Resident,
            ["name", "housing_unit_id", *SCOPE],
            [("失败", home, DISTRICT, SUBDISTRICT, COMMUNITY_A, GRID_A)],
        )
        raise RuntimeError
    assert not Resident.objects.filter(name="失败").exists() and all(
        tally.attached(m) for m in tally.all_measures()
    )
    Resident.objects.filter(name__in=["批量", "一起"]).delete()
    assert_exact()


def _boards(user, node, period):
    counted = figures.board(user, node, period)
    return counted.total, [(c.code, row) for c, row in counted.rows]


@pytest.mark.parametrize("who", ["district_op", "operator", "staff", "grid_worker"])
def test_dashboard_reads_the_same_from_counts_and_tables(spread, monkeypatch, who):
    user = spread[who]
    today = timezone.localdate()
    periods = [
        figures.Period("month", today.replace(day=1), today),
        figures.Period("year", today.replace(month=1, day=1), today),
        figures.Period("custom", today - dt.timedelta(days=70), today - dt.timedelta(days=2)),
        figures.Period("custom", today - dt.timedelta(days=500), today),
        figures.Period("custom", today, today),
    ]
    nodes = restrict(Region.objects.filter(code__in=[DISTRICT, SUBDISTRICT, COMMUNITY_A, GRID_A]), user)
    compared = 0
    for node in nodes:
        for period in periods:
            kept = _boards(user, node, period)
            with monkeypatch.context() as m:
                m.setattr(tally, "visible", lambda *a: False)
                counted = _boards(user, node, period)
            diff = {
                (k, m): (a.get(m), b.get(m))
                for (k, a), (_k, b) in zip(
                    [("total", kept[0]), *kept[1]], [("total", counted[0]), *counted[1]], strict=True
                )
                for m in set(a) | set(b)
                if a.get(m) != b.get(m)
            }
            assert not diff, (who, node.code, period)
            compared += 1
    assert compared
    codes = list(Region.objects.filter(level="grid").values_list("code", flat=True))
    for indicator in ("residents", "cases_open", "cases_overdue"):
        kept = gridmap.values(user, indicator, codes)
        with monkeypatch.context() as m:
            m.setattr(tally, "visible", lambda *a: False)
            counted = gridmap.values(user, indicator, codes)
        assert {k: v for k, v in kept["value"].items() if v} == counted["value"], indicator


def test_tallies_command_finds_and_mends_a_wrong_count(spread):
    out = io.StringIO()
    call_command("tallies", stdout=out)
    assert "一致" in out.getvalue()
    Tally.objects.filter(measure="case.status").update(n=99)
    with pytest.raises(CommandError, match="--rebuild"):
        call_command("tallies", stdout=io.StringIO())
    call_command("tallies", "--rebuild", stdout=io.StringIO())
    assert_exact()


def test_every_measure_keeps_its_triggers_after_the_migrations(db):
    """SQLite drops a table's triggers when a migration rebuilds it: a migration that does
    wraps its operations in ``tally.reattached`` (the test database is migrated)."""
    assert [m.name for m in tally.all_measures() if not tally.attached(m)] == []
    m = tally.all_measures()[0]
    with connection.cursor() as cur:
        cur.execute(m.trigger_sql(connection.vendor)[1][0])
    assert not tally.attached(m)
    with pytest.raises(CommandError):
        call_command("tallies", stdout=io.StringIO())
    tally.attach([m])
    assert tally.attached(m)


def test_postgresql_counts_each_statement_once(db):
    """On PostgreSQL no count is kept row by row (a COPY of 10⁶ rows would queue 10⁶
    upserts per measure): every tally trigger is a statement trigger."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no statement triggers")
    with connection.cursor() as cur:  # tgtype bit 0: FOR EACH ROW
        cur.execute("SELECT tgname, tgtype & 1 FROM pg_trigger WHERE tgname LIKE 'tally_%%'")
        kinds = dict(cur.fetchall())
    assert len(kinds) == 3 * len(tally.all_measures())
    assert {name for name, row in kinds.items() if row} == set()


def test_a_department_handler_is_counted_from_the_tables(spread):
    assert tally.visible(spread["handler"], Case) is False
    assert tally.sums(spread["handler"], Case, "case.status", None, {}) is None
