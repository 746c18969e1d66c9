"""B5 (search) and B2 (list and detail pages) on a registry of N residents.

Usage: python bench/b5_b2_registry.py [N]   (default 1000000; DATABASE_URL for PostgreSQL)

Fills a throwaway database quickly (prepared rows inserted with executemany: encrypted
IDs and phones with their blind indexes, name tokens), then measures as the district
operator, through the real code paths:
  B5  services.search_residents with a mix of 40 % two-character names, 20 % three-
      character names, 15 % pinyin initials (whole, or their first two letters), 10 % ID
      last four, 10 % full ID, 5 % phone;
      p50/p95 per kind and recall of name queries against a full scan (name LIKE).
  B2  GET /people/residents/ (50 rows, page 1 and a deep page) and a resident detail page
      through Django's test client, as the district, a subdistrict and a community operator; p50/p95 and the query count. Timed with DEBUG off, as a
      deployment runs (the fill needs DEBUG's generated key file): under DEBUG Django logs
      every query and templates keep their debug information. The queries are counted on
      one request apart from the timed ones.
"""

import datetime as dt
import os
import random
import sys
import tempfile
import time

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-b5-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")

import django  # noqa: E402

django.setup()

import io  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from linli.accounts.models import User  # noqa: E402
from linli.core import pii  # noqa: E402
from linli.core.scoping import restrict  # noqa: E402
from linli.people import demo, services  # noqa: E402
from linli.people.models import Resident  # noqa: E402
from linli.regions.models import HousingUnit, Region  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国建华志强海燕晓东海波宇浩然子涵梓轩欣怡雨桐"


def fill(n: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("setup_demo", stdout=io.StringIO())
    rng = random.Random(5)
    grids = list(Region.objects.filter(level="grid", district_id="150902"))
    demo._housing(rng, grids, n // 3 + 1)
    units = list(
        HousingUnit.objects.values_list("pk", "district_id", "subdistrict_id", "community_id", "grid_id")
    )
    used: set[str] = set()
    t0 = time.perf_counter()
    rows, tokens = [], []
    start_id = (Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for i in range(n):
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 1, 2])))
        name = rng.choice(SURNAMES) + given
        while True:
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30000))
            cid = demo.make_id(rng, "150902", birth, rng.random() < 0.5)
            if cid not in used:
                used.add(cid)
                break
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        u = units[i % len(units)]
        rid = start_id + i
        rows.append(
            (
                rid,
                name,
                pii.encrypt(cid, "people.resident.citizen_id"),
                pii.blind_index(cid, "people.resident.citizen_id"),
                cid[-4:],
                "1",
                birth.isoformat(),
                pii.encrypt(phone, "people.resident.phone"),
                pii.blind_index(phone, "people.resident.phone"),
                "01",
                "13",
                "registered",
                u[0],
                False,
                *u[1:],
            )
        )
        tokens.extend((rid, t) for t in services.name_tokens(name))
    prep = time.perf_counter() - t0
    cols = (
        "id, name, citizen_id, citizen_id_bidx, id_tail, gender, birth_date, phone, phone_bidx, ethnicity, "
        "political_status, residence_type, housing_unit_id, separated, district_id, subdistrict_id, "
        "community_id, grid_id, education, marital_status, occupation, employer, relation, "
        "registered_address, archive_reason, created_at, updated_at"
    )
    now = "2026-01-01 00:00:00"
    full = [(*r, "", "", "", "", "", "", "", now, now) for r in rows]
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(f"INSERT INTO people_resident ({cols}) VALUES ({', '.join(['%s'] * 27)})", full)  # noqa: S608
        cur.executemany("INSERT INTO people_nametoken (resident_id, token) VALUES (%s, %s)", tokens)
    with connection.cursor() as cur:  # planner statistics (and PostgreSQL's visibility map), as kept live
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"filled {n} residents ({len(tokens)} tokens): prepared in {prep:.0f}s, inserted in "
        f"{time.perf_counter() - t0:.0f}s",
        flush=True,
    )


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def bench_search(user, samples=400) -> None:
    rng = random.Random(9)
    people = (
        list(Resident.objects.order_by("?").values_list("pk", "name")[:200])
        if connection.vendor == "postgresql"
        else list(
            Resident.objects.filter(
                pk__in=[rng.randrange(1, Resident.objects.count()) for _ in range(200)]
            ).values_list("pk", "name")
        )
    )
    sample = [Resident.objects.get(pk=pk) for pk, _n in people[:50]]
    kinds = [
        ("2-char name", 0.40),
        ("3-char name", 0.20),
        ("pinyin", 0.15),
        ("id tail", 0.10),
        ("full id", 0.10),
        ("phone", 0.05),
    ]
    times: dict[str, list[float]] = {k: [] for k, _w in kinds}
    recall_checked = recall_ok = 0
    for i in range(samples):
        kind = rng.choices([k for k, _w in kinds], [w for _k, w in kinds])[0]
        _pk, name = rng.choice(people)
        r = rng.choice(sample)
        q = {
            "2-char name": name[:2],
            "3-char name": name if len(name) >= 3 else name + "华",
            "pinyin": "".join(t[3:] for t in []) or None,
            "id tail": r.id_tail,
            "full id": r.citizen_id.reveal(),
            "phone": r.phone.reveal(),
        }[kind]
        if kind == "pinyin":
            initials = max((t for t in services.name_tokens(name) if t.startswith("py:")), key=len)[3:]
            q = initials if i % 2 else initials[:2]  # the whole initials, or the first two ("zs")
        t0 = time.perf_counter()
        found = list(services.search_residents(user, q).values_list("pk", flat=True)[:50])
        times[kind].append(time.perf_counter() - t0)
        if kind.endswith("name") and i % 8 == 0:
            expected = set(Resident.objects.filter(name__contains=q).values_list("pk", flat=True)[:100000])
            got = set(services.search_residents(user, q).values_list("pk", flat=True))
            recall_checked += 1
            recall_ok += expected <= got
        assert found is not None
    allt = [t for v in times.values() for t in v]
    print(f"B5 search: {samples} queries, p50 {pct(allt, 0.5):.1f} ms, p95 {pct(allt, 0.95):.1f} ms")
    for k, v in times.items():
        if v:
            print(f"   {k:<12} n={len(v):>3}  p50 {pct(v, 0.5):6.1f} ms  p95 {pct(v, 0.95):6.1f} ms")
    print(f"   recall: {recall_ok}/{recall_checked} name queries returned every full-scan match")


def bench_pages(username: str) -> None:
    settings.DEBUG = False  # as a deployment runs; the template engine is made after this
    assert not engines["django"].engine.debug, "templates were loaded under DEBUG before the timing"
    c = Client()
    user = User.objects.get(username=username)
    c.force_login(user)
    visible = restrict(Resident.objects.all(), user)
    rid = visible.order_by("id").values_list("pk", flat=True)[visible.count() // 2]
    print(f"as {username}: {visible.count()} residents in scope")
    for label, url in (
        ("list page 1", "/people/residents/"),
        ("list page 200", "/people/residents/?page=200"),
        ("detail", f"/people/residents/{rid}/"),
    ):
        for _i in range(5):  # warm-up: templates compiled, translations and caches loaded
            c.get(url)
        reset_queries()  # each request starts by emptying the log (the request_started signal)
        with CaptureQueriesContext(connection) as q:  # counted apart: logging them costs time
            c.get(url)
        queries = len(q)  # now: the next request empties the log the count reads
        times = []
        for _i in range(100):
            t0 = time.perf_counter()
            resp = c.get(url)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200, (url, resp.status_code)
        print(
            f"B2 {label:<13} p50 {pct(times, 0.5):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms  queries {queries}"
        )


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if Resident.objects.count() < n if "B5_REUSE" in os.environ else True:
        fill(n)  # B5_REUSE=1 with the LINLI_VAR_DIR of an earlier run skips the fill
    district_op = User.objects.get(username="district")
    bench_search(district_op)
    bench_pages("district")
    bench_pages("xintilu")  # a subdistrict
    bench_pages("enhelu")  # a community
