"""B6: resident import throughput, end to end, beside the floor of a bare executemany.

Usage: python bench/b6_import.py [ROWS]   (default 100000; DATABASE_URL to use PostgreSQL)

Builds a throwaway database in a temporary LINLI_VAR_DIR (SQLite unless DATABASE_URL),
loads the demo district with enough housing units, writes an xlsx of ROWS residents with
valid ID numbers, then times:
  import  — linli.people.importer.import_residents (read, validate, encrypt, index, write)
  floor   — inserting the same prepared rows with one executemany (no validation, no
            encryption, no tokens, no audit)
and prints rows/s for both, their ratio, and peak memory of the import. Both are timed
with DEBUG off, as a deployment runs. The database and the file are made by a separate (forked)
process: the import's process holds what a worker holds, not the set-up's objects.
"""

import datetime as dt
import io
import os
import random
import resource
import sys
import tempfile
import time

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-b6-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
# the file limits are the deployment's to set; the benchmark lifts them for its file
os.environ.setdefault("LINLI_MAX_IMPORT_ROWS", "2000000")
os.environ.setdefault("LINLI_MAX_IMPORT_BYTES", str(1 << 30))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from faker import Faker  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from linli.people import demo  # noqa: E402
from linli.people.importer import import_residents, template_header  # noqa: E402
from linli.regions.models import HousingUnit, Region  # noqa: E402


def _rss_now() -> int:
    """The resident set size now, in KiB (ru_maxrss is the peak so far)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() // 1024


def generate(rows: int, path: str) -> None:
    """Write the xlsx of ``rows`` residents living in the district's first units."""
    rng = random.Random(6)
    fake = Faker("zh_CN")
    fake.seed_instance(6)
    units = list(HousingUnit.objects.select_related("building__compound")[: rows // 3 + 1])
    header = template_header()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    used = set()
    today = dt.date.today()
    for i in range(rows):
        u = units[i % len(units)]
        b = u.building
        while True:
            birth = today - dt.timedelta(days=rng.randrange(19 * 365, 90 * 365))
            cid = demo.make_id(rng, "150902", birth, rng.random() < 0.5)
            if cid not in used:
                used.add(cid)
                break
        values = {
            "姓名": fake.last_name()
            + (fake.first_name_male() if cid[16] in "13579" else fake.first_name_female()),
            "公民身份号码": cid,
            "联系电话": f"13{rng.randrange(10**9):09d}",
            "民族": "汉族",
            "人口类别": "户籍",
            "户号": f"H{u.pk}",
            "与户主关系": "户主" if i < len(units) else "其他亲属",
            "网格编码": b.grid_region_id,
            "小区": b.compound.name if b.compound else "",
            "楼栋": b.name,
            "单元": u.unit,
            "房号": u.room,
        }
        ws.append([values.get(h, "") for h in header])
    wb.save(path)


def setup(rows: int, path: str) -> None:
    """The database (the demo district with enough housing units) and the file."""
    call_command("migrate", verbosity=0)
    call_command("setup_demo", stdout=io.StringIO())
    grids = list(Region.objects.filter(level="grid", district_id="150902"))
    demo._housing(random.Random(6), grids, rows // 3 + 1)
    generate(rows, path)


def main(rows: int) -> None:
    # Set up by a forked process, so that the import runs in one that holds what a worker
    # holds, not the set-up's objects (the import's own preparing process is forked from
    # it and copies what it holds).
    path = os.path.join(settings.VAR_DIR, "b6.xlsx")
    connection.close()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the set-up process
        code = 1
        try:
            setup(rows, path)
            code = 0
        finally:
            os._exit(code)
    _pid, status, setup_usage = os.wait4(pid, 0)
    assert status == 0, status
    with open(path, "rb") as fh:
        data = fh.read()
    print(
        f"rows {rows}, xlsx {len(data) / 1e6:.1f} MB, set up and generated in {time.perf_counter() - t0:.1f}s"
    )
    units = list(HousingUnit.objects.values_list("pk", flat=True)[: rows // 3 + 1])

    # timed as a deployment runs: under DEBUG, Django keeps and formats every query
    settings.DEBUG = False
    rss_before = _rss_now()
    t0 = time.perf_counter()
    if os.environ.get("B6_PROFILE"):
        import cProfile

        cProfile.runctx(
            'import_residents(data, "b6.xlsx", actor=None)',
            globals(),
            locals(),
            sort=os.environ.get("B6_PROFILE", "cumtime"),
        )
        return
    try:
        result = import_residents(data, "b6.xlsx", actor=None)
    except Exception as exc:
        print(getattr(exc, "errors", [])[:5])
        raise
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # the largest of the children: the set-up process or the import's preparing process
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"import: {result.as_dict()} in {elapsed:.2f}s = {rows / elapsed:,.0f} rows/s; "
        f"peak RSS {peak / 1024:.0f} MB ({rss_before / 1024:.0f} MB in use before the import), "
        + (
            f"its preparing child {child / 1024:.0f} MB"
            if child > setup_usage.ru_maxrss
            else f"its preparing child at most {child / 1024:.0f} MB (the set-up process's peak)"
        )
    )

    # the floor: the same number of prepared rows, one executemany into a copy of the table
    prepared = [
        (
            f"居民{i}",
            "k1$" + "x" * 60,
            "0" * 64,
            "0000",
            "1",
            "1980-01-01",
            "01",
            "13",
            "registered",
            units[i % len(units)],
            False,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        )
        for i in range(rows)
    ]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE floor_resident AS SELECT * FROM people_resident WHERE 1=0")
        cols = (
            "name, citizen_id, citizen_id_bidx, id_tail, gender, birth_date, ethnicity, political_status, "
            "residence_type, housing_unit_id, separated, education, marital_status, occupation, employer, "
            "relation, registered_address, archive_reason, phone, phone_bidx"
        )
        marks = ", ".join(["%s"] * 20)
        t0 = time.perf_counter()
        with transaction.atomic():
            cur.executemany(f"INSERT INTO floor_resident ({cols}) VALUES ({marks})", prepared)  # noqa: S608
        floor = time.perf_counter() - t0
    print(f"floor: executemany of {rows} prepared rows in {floor:.2f}s = {rows / floor:,.0f} rows/s")
    print(f"ratio import/floor: {elapsed / floor:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
