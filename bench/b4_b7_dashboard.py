"""B4 (the district dashboard) and B7 (map responses) at N residents and N cases.

Usage: python bench/b4_b7_dashboard.py [N]   (default 1000000; DATABASE_URL for PostgreSQL)
Set LINLI_VAR_DIR to keep the SQLite database: a second run on it skips the filling.

1. Fills a throwaway database: the demo district (its real subdistricts and communities,
   grids with boundaries), N residents in N/3 households, special-group tags for 8 % of
   them, N cases over two years with their workflow events (accept, handle, verify), a
   visit for one household in five in the last 60 days, the demo volunteers; prepared
   rows inserted with executemany (COPY on PostgreSQL).
2. B4 (after ``gc.freeze()``, as ``linli/wsgi.py`` does in a server worker): the
   district operator's dashboard, ``figures.board`` and GET /dashboard/ through
   Django's test client (p50/p95 of repeated runs, query count), beside the one
   hand-written rollup query computing the same numbers per subdistrict (timed the same
   way; a few of its numbers are checked against the board's).
3. B7: GET /cases/map/data/ (clustered cases) and /dashboard/map/grids/ at district,
   subdistrict and community zoom: p50/p95 and the most features in a response.
"""

import datetime as dt
import gc
import io
import os
import random
import statistics
import sys
import tempfile
import time

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-b4-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402

from linli.accounts.models import Department, User  # noqa: E402
from linli.cases import facts  # noqa: E402
from linli.cases.models import Case, CaseEvent, Category, Channel, Status  # noqa: E402
from linli.core.bulk import insert_rows  # noqa: E402
from linli.core.dates import years_ago  # noqa: E402
from linli.dashboard import figures  # noqa: E402
from linli.people import demo  # noqa: E402
from linli.people.models import GroupTag, Household, Resident, SpecialGroup  # noqa: E402
from linli.regions.models import HousingUnit, Region  # noqa: E402
from linli.visits.models import Visit  # noqa: E402
from linli.volunteers.demo import seed_volunteers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from case_mix import MIX  # noqa: E402

DISTRICT = "150902"


def days(d: float) -> dt.timedelta:
    return dt.timedelta(days=d)


def fill(n: int) -> None:
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("setup_demo", stdout=io.StringIO())
    rng = random.Random(4)
    grids = list(Region.objects.filter(level="grid", district_id=DISTRICT).exclude(boundary=None))
    demo._housing(rng, grids, n // 3 + 1)
    units = list(
        HousingUnit.objects.values_list("pk", "district_id", "subdistrict_id", "community_id", "grid_id")
    )
    scope = ["district_id", "subdistrict_id", "community_id", "grid_id"]
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        insert_rows(
            Household,
            ["housing_unit_id", "number", "kind", *scope],
            ((u[0], f"H{i:08d}", "family", *u[1:]) for i, u in enumerate(units[: n // 3 + 1])),
        )
    homes = list(Household.objects.values_list("pk", "housing_unit_id", *scope))
    types = ["registered"] * 78 + ["permanent"] * 10 + ["floating"] * 12
    first_id = (Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def residents():
        for i in range(n):
            h = homes[i % len(homes)]
            birth = today - days(rng.uniform(0, 95 * 365))
            yield ("居民", "1" if i % 2 else "2", birth, rng.choice(types), h[0], h[1], *h[2:])

    with transaction.atomic():
        insert_rows(
            Resident,
            ["name", "gender", "birth_date", "residence_type", "household_id", "housing_unit_id", *scope],
            residents(),
        )
    groups = list(SpecialGroup.objects.filter(applies_to="resident", active=True))
    grid_of = {h[0]: h[2:] for h in homes}
    with transaction.atomic():
        insert_rows(
            GroupTag,
            ["group_id", "resident_id", "start_date", *scope],
            (
                (rng.choice(groups).pk, first_id + i, dt.date(2024, 1, 1), *grid_of[homes[i % len(homes)][0]])
                for i in range(0, n, 12)
            ),
        )
    print(
        f"filled {n:,} residents, {len(homes):,} households in {time.perf_counter() - t0:.0f} s", flush=True
    )

    t0 = time.perf_counter()
    subs = list(Category.objects.filter(parent__isnull=False))
    departments = list(Department.objects.filter(district_id=DISTRICT, subdistrict__isnull=True))
    boxes = [(g, g.west, g.south, g.east, g.north) for g in grids]
    shares = [m[0] for m in MIX]
    plan = []

    def cases():
        for i in range(n):
            g, x0, y0, x1, y1 = boxes[i % len(boxes)]
            _s, status, level = rng.choices(MIX, shares)[0]
            created = now - days(rng.uniform(0, 730))
            closed = status == Status.CLOSED
            # the events, and the facts the workflow would keep from them (cases.facts)
            accepted = None if status in (Status.REPORTED, Status.REJECTED) else created + days(0.05)
            handled = status in (Status.HANDLED, Status.CLOSED)
            handle_on_time, verify_on_time = rng.random() < 0.9, rng.random() < 0.95
            plan.append((accepted, handled and handle_on_time, closed and verify_on_time, status))
            yield (
                f"D{i:011d}", f"d{i:09d}", Channel.GRID, rng.choice(subs).pk, "楼道堆放杂物", "",
                round(rng.uniform(y0, y1), 6), round(rng.uniform(x0, x1), 6), g.code, g.district_id,
                g.subdistrict_id, g.community_id, g.code, status, level,
                rng.choice(departments).pk if status == Status.DISPATCHED else None,
                None if closed or status == Status.REJECTED else created + days(rng.uniform(-5, 20)),
                created, created + days(3) if closed else None, rng.choice([None, 5, 4, 3, 2]) if closed else None,
                accepted, handled, handled and handle_on_time,
                (handled and not handle_on_time) or (closed and not verify_on_time),
                facts.handling_seconds(accepted, created + days(3)) if closed else None,
            )  # fmt: skip

    fields = [
        "number", "tracking_code", "channel", "category_id", "description", "address", "lat", "lng",
        "region_id", "district_id", "subdistrict_id", "community_id", "grid_id", "status", "level",
        "department_id", "due_at", "created_at", "closed_at", "rating",
        "accepted_at", "handled", "handled_on_time", "late", "handling_seconds",
    ]  # fmt: skip
    first_case = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    with transaction.atomic():
        insert_rows(Case, fields, cases())

    def events():
        for i, (accepted, handle_on_time, verify_on_time, status) in enumerate(plan):
            if accepted is None:
                continue
            case, created = first_case + i, accepted - days(0.05)
            yield (case, "accept", accepted, True)
            if status in (Status.HANDLED, Status.CLOSED):
                yield (case, "handle", created + days(1), handle_on_time)
            if status == Status.CLOSED:
                yield (case, "verify", created + days(3), verify_on_time)

    with transaction.atomic():
        insert_rows(CaseEvent, ["case_id", "action", "at", "on_time"], events())
    print(f"filled {n:,} cases with their events in {time.perf_counter() - t0:.0f} s", flush=True)

    t0 = time.perf_counter()
    worker = User.objects.get(username="grid")
    with transaction.atomic():
        insert_rows(
            Visit,
            ["worker_id", "kind", "visited_at", "grid_region_id", "household_id", "findings", *scope],
            (
                (worker.pk, "home", now - days(rng.uniform(0, 60)), h[5], h[0], "一切正常", *h[2:])
                for h in homes[::5]
            ),
        )
    seed_volunteers(DISTRICT)
    with (
        connection.cursor() as cur
    ):  # the statistics (and PostgreSQL's visibility map) as a live database has them
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"filled visits and volunteers in {time.perf_counter() - t0:.0f} s", flush=True)


def timed(fn, runs: int) -> tuple[float, float, object]:
    out = fn()  # warm the caches, as a live server has them
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))], out


def rollup_sql(period: figures.Period, now: dt.datetime) -> tuple[str, list]:
    """The same numbers per subdistrict in one statement, written by hand."""
    lo, hi = period.bounds
    today = timezone.localdate(now)
    bands = [years_ago(a, today) for a in (0, 18, 60, 80)]
    groups = list(SpecialGroup.objects.filter(active=True, applies_to="resident"))
    group_cols = ", ".join(
        "(SELECT COUNT(*) FROM people_grouptag t WHERE t.group_id = %s AND t.subdistrict_id = s.code"
        " AND t.start_date <= %s AND (t.end_date IS NULL OR t.end_date >= %s))"
        for g in groups
    )
    sql = f"""
    WITH r AS (SELECT subdistrict_id k, COUNT(*) residents,
         SUM(CASE WHEN residence_type='registered' THEN 1 ELSE 0 END) registered,
         SUM(CASE WHEN residence_type='floating' THEN 1 ELSE 0 END) floating,
         SUM(CASE WHEN birth_date <= %s AND birth_date > %s THEN 1 ELSE 0 END) minors,
         SUM(CASE WHEN birth_date <= %s AND birth_date > %s THEN 1 ELSE 0 END) aged60,
         SUM(CASE WHEN birth_date <= %s THEN 1 ELSE 0 END) aged80
       FROM people_resident WHERE district_id = %s AND archived_at IS NULL GROUP BY subdistrict_id),
    h AS (SELECT subdistrict_id k, COUNT(*) n FROM people_household WHERE district_id = %s AND archived_at IS NULL GROUP BY 1),
    c AS (SELECT subdistrict_id k,
         SUM(CASE WHEN created_at >= %s AND created_at < %s THEN 1 ELSE 0 END) new,
         SUM(CASE WHEN status IN ('reported','accepted','dispatched','handled') THEN 1 ELSE 0 END) open,
         SUM(CASE WHEN due_at < %s THEN 1 ELSE 0 END) overdue,
         SUM(CASE WHEN closed_at >= %s AND closed_at < %s THEN 1 ELSE 0 END) closed
       FROM cases_case WHERE district_id = %s GROUP BY 1),
    a AS (SELECT c.subdistrict_id k, COUNT(*) accepted,
         SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) closed_cohort
       FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id
       WHERE e.action = 'accept' AND e.at >= %s AND e.at < %s AND c.district_id = %s GROUP BY 1),
    v AS (SELECT subdistrict_id k, COUNT(*) visits FROM visits_visit
       WHERE district_id = %s AND visited_at >= %s AND visited_at < %s GROUP BY 1)
    SELECT s.code, r.residents, r.registered, r.floating, r.minors, r.aged60, r.aged80, h.n,
           c.new, c.open, c.overdue, c.closed, a.accepted, a.closed_cohort, v.visits
           {", " + group_cols if groups else ""}
    FROM regions_region s
    LEFT JOIN r ON r.k = s.code LEFT JOIN h ON h.k = s.code LEFT JOIN c ON c.k = s.code
    LEFT JOIN a ON a.k = s.code LEFT JOIN v ON v.k = s.code
    WHERE s.parent_id = %s ORDER BY s.code
    """  # noqa: S608 - literal ids only
    params = [
        bands[0], bands[1], bands[2], bands[3], bands[3], DISTRICT, DISTRICT,
        lo, hi, now, lo, hi, DISTRICT, lo, hi, DISTRICT, DISTRICT, lo, hi,
    ]  # fmt: skip
    for g in groups:
        params += [g.pk, today, today]
    params.append(DISTRICT)
    ops = connection.ops  # datetimes as the backend stores them (UTC text on SQLite)
    params = [ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in params]
    return sql, params


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    if Resident.objects.count() >= n and Case.objects.count() >= n:  # a LINLI_VAR_DIR filled before
        print(f"reusing the database in {os.environ['LINLI_VAR_DIR']}", flush=True)
    else:
        fill(n)
    # as a server worker starts (linli/wsgi.py): what is loaded stays out of the collector's
    # full passes, which would otherwise land ~100 ms on some timed request
    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
    user = User.objects.get(username="district")
    node = Region.objects.get(code=DISTRICT)
    period = figures.Period("month", timezone.localdate().replace(day=1), timezone.localdate())
    now = timezone.now()
    runs = int(os.environ.get("B4_RUNS", "10"))

    reset_queries()
    # counted on one connection (the board's two groups of queries otherwise run on two)
    with override_settings(PARALLEL_READS=False), CaptureQueriesContext(connection) as ctx:
        board = figures.board(user, node, period, now=now)
    queries = len(ctx)
    p50, p95, board = timed(lambda: figures.board(user, node, period, now=now), runs)
    print(
        f"B4 figures.board(district)       p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries} queries, {len(board.rows)} children"
    )

    sql, params = rollup_sql(period, now)

    def rollup():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    r50, r95, rows = timed(rollup, runs)
    print(f"B4 hand-written rollup query     p50 {r50:7.1f} ms  p95 {r95:7.1f} ms  (1 query)")
    by_code = {r[0]: r for r in rows}
    for child, fig in board.rows:
        r = by_code[child.code]
        assert fig["residents"] == (r[1] or 0), (child.code, fig["residents"], r[1])
        assert fig["cases_open"] == (r[9] or 0) and fig["cases_overdue"] == (r[10] or 0), child.code
        assert fig["accepted"] == (r[12] or 0), (child.code, fig["accepted"], r[12])
        assert fig["visits"] == (r[14] or 0), (child.code, fig["visits"], r[14])
    print("B4 the board's numbers equal the rollup's (residents, open, overdue, accepted, visits)")

    client = Client()
    client.force_login(user)
    reset_queries()
    p50, p95, resp = timed(lambda: client.get("/dashboard/"), runs)
    assert resp.status_code == 200
    print(f"B4 GET /dashboard/ (district)    p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  target ≤ 300 ms")

    views = {
        "district": (Region.objects.filter(level="grid", district_id=DISTRICT), 11),
        "subdistrict": (
            Region.objects.filter(level="grid", subdistrict_id=node.children.order_by("code")[0].code),
            13,
        ),
        "community": (
            Region.objects.filter(
                level="grid",
                community_id=Region.objects.filter(level="community", district_id=DISTRICT)
                .order_by("code")[0]
                .code,
            ),
            15,
        ),
    }
    for name, (grids, zoom) in views.items():
        box = grids.aggregate(
            *[django.db.models.Min(k) for k in ("west", "south")],
            *[django.db.models.Max(k) for k in ("east", "north")],
        )
        bbox = ",".join(f"{v:.6f}" for v in box.values())
        for url in (
            f"/cases/map/data/?bbox={bbox}&zoom={zoom}",
            f"/dashboard/map/grids/?bbox={bbox}&zoom={zoom}&indicator=cases_open",
        ):
            most = 0

            def get(url=url):
                nonlocal most
                r = client.get(url)
                assert r.status_code == 200, r.content[:200]
                most = max(most, len(r.json()["features"]))
                return r

            p50, p95, _r = timed(get, runs)
            print(
                f"B7 {name:<11} {url.split('?')[0]:<22} zoom {zoom}: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ≤ {most} features"
            )
    print(f"database: {connection.vendor}; N = {n:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
