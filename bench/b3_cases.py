"""B3: case intake and transitions over HTTP with the production server setup, beside a
bare Django view doing the same inserts; to-do and list pages at N cases.

Usage: python bench/b3_cases.py [N]      (default 1000000 existing cases)
Needs wrk (Debian package ``wrk``). Environment: B3_SECONDS (each load phase, default 20),
B3_WORKERS (gunicorn workers, default 2 × cores + 1), B3_CONNECTIONS (default 16),
DATABASE_URL for PostgreSQL (default: SQLite in a temporary LINLI_VAR_DIR).

1. Fills a throwaway database with the demo district and N cases (statuses, levels and
   departments spread as in a live system; prepared rows inserted with executemany).
2. Starts gunicorn as docs/install.md does (DEBUG off, sync workers), with
   bench/b3_site.py adding the bare view.
3. wrk phases, every request with a new Idempotency-Key:
     intake   POST /api/v1/cases/cases as the district's hotline operator (bearer token)
     bare     POST /bench/bare-intake (the same rows, no checks)
     replay   every intake request sent again with its key: must create nothing
     accept   POST /api/v1/cases/cases/{id}/actions {"action": "accept"} on the cases both phases created
   and checks 0 errors (socket errors or unexpected statuses) and 0 duplicates (cases in
   the database = distinct keys that got 201).
4. p50/p95 of GET /cases/todo/ and /cases/ (district operator, community staff, grid
   worker, department handler) and GET /api/v1/cases/cases?todo=true, with 4 connections.
"""

import datetime as dt
import io
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("LINLI_VAR_DIR", tempfile.mkdtemp(prefix="linli-b3-"))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
# the key ring stays with the database, so a reused LINLI_VAR_DIR can still be read
Path(os.environ["LINLI_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
_keys = Path(os.environ["LINLI_VAR_DIR"]) / "b3-pii.keys"
if not _keys.exists():
    _keys.write_text(f"1:{secrets.token_hex(32)}")
os.environ.setdefault("LINLI_PII_KEYS_FILE", str(_keys))
# plain HTTP on loopback stands for the TLS-terminating proxy in front of gunicorn
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b3_site")
sys.path.insert(0, str(HERE))

import django  # noqa: E402

django.setup()

from case_mix import MIX  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from linli.accounts.models import Department, User  # noqa: E402
from linli.accounts.services import do_create_token  # noqa: E402
from linli.cases.models import Case, Category, Channel, Status  # noqa: E402
from linli.core.bulk import insert_rows  # noqa: E402
from linli.regions.models import Region  # noqa: E402


def grid_boxes() -> list[tuple[Region, tuple[float, float, float, float]]]:
    out = []
    for g in Region.objects.filter(level="grid", district_id="150902").exclude(boundary=None):
        ring = g.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        out.append((g, (min(xs), min(ys), max(xs), max(ys))))
    return out


def point_in(box, rng) -> tuple[float, float]:
    """The demo grids are rectangles: any point strictly inside the box is in the grid."""
    x0, y0, x1, y1 = box
    return round(rng.uniform(x0 + 1e-5, x1 - 1e-5), 6), round(rng.uniform(y0 + 1e-5, y1 - 1e-5), 6)


def fill(n: int, boxes, rng) -> None:
    subs = list(Category.objects.filter(parent__isnull=False))
    departments = list(Department.objects.filter(district_id="150902", subdistrict__isnull=True))
    now = timezone.now()
    fields = [
        "number", "tracking_code", "channel", "category", "description", "address", "lat", "lng",
        "region", "district", "subdistrict", "community", "grid", "status", "level", "department",
        "due_at", "created_at", "closed_at",
    ]  # fmt: skip
    shares = [m[0] for m in MIX]
    t0 = time.perf_counter()

    def rows():
        for i in range(n):
            grid, box = boxes[i % len(boxes)]
            lng, lat = point_in(box, rng)
            _share, status, level = rng.choices(MIX, shares)[0]
            created = now - dt_days(rng.uniform(0, 730))
            closed = status in (Status.CLOSED, Status.REJECTED)
            yield (
                f"B{i:011d}", f"b{i:09d}", Channel.GRID, rng.choice(subs).pk, "楼道堆放杂物，存在消防隐患",
                "", lat, lng, grid.code, grid.district_id, grid.subdistrict_id, grid.community_id, grid.code,
                status, level, rng.choice(departments).pk if status == Status.DISPATCHED else None,
                None if closed else created + dt_days(rng.uniform(-5, 20)), created,
                created + dt_days(3) if closed else None,
            )  # fmt: skip

    with transaction.atomic():
        insert_rows(Case, fields, rows())
    with connection.cursor() as cur:
        # the planner's statistics (and PostgreSQL's visibility map) as a live database has them
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"filled {n:,} cases in {time.perf_counter() - t0:.1f} s", flush=True)


def dt_days(d: float) -> dt.timedelta:
    return dt.timedelta(days=d)


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [
        str(gunicorn),
        "linli.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    cmd += ["--backlog", "2048", *os.environ.get("B3_GUNICORN_ARGS", "").split()]
    proc = subprocess.Popen(cmd, env=env)  # noqa: S603 - our own command line
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


LUA_COMMON = r"""
local threads = {}
local counter = 1
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  statuses = {}
  n = 0
  exhausted = 0
  ids = {}
  lines = {}
  for line in io.lines(os.getenv("B3_INPUT")) do table.insert(lines, line) end
  nthreads = tonumber(os.getenv("B3_THREADS"))
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 and body then
    local id = string.match(body, '"id": ?(%d+)')
    if id then table.insert(ids, id) end
  end
end
function done(summary, latency, requests)
  local all = {}
  local ran_out = 0
  local out = io.open(os.getenv("B3_OUTPUT"), "w")
  for _, t in ipairs(threads) do
    if t:get("exhausted") == 1 then ran_out = 1 end
    local s = t:get("statuses")
    for k, v in pairs(s) do all[k] = (all[k] or 0) + v end
    for _, id in ipairs(t:get("ids")) do out:write(id, "\n") end
  end
  out:close()
  local parts = {}
  for k, v in pairs(all) do table.insert(parts, string.format('"%d": %d', k, v)) end
  io.write(string.format('B3RESULT {"requests": %d, "seconds": %.3f, "errors": %d, "p50": %.2f, "p95": %.2f, "p99": %.2f, "ran_out": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    ran_out, table.concat(parts, ", ")))
end
"""

# each line of B3_INPUT is one request: "METHOD PATH HEADER-VALUE BODY" (tab-separated);
# thread k of K takes lines k, k+K, k+2K …, each once, then stops
LUA_REQUESTS = r"""
function request()
  local i = (n * nthreads) + id
  n = n + 1
  local line = lines[i]
  if line == nil then
    -- out of requests: stop; what wrk still sends goes to a no-op answering 204
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/bench/filler")
  end
  local method, path, key, body = string.match(line, "([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = os.getenv("B3_AUTH")}
  if key ~= "" then headers["Idempotency-Key"] = key end
  return wrk.format(method, path, headers, body)
end
"""

LUA_GET = r"""
function request()
  n = n + 1
  local line = lines[(n % #lines) + 1]
  return wrk.format("GET", line, {["Cookie"] = os.getenv("B3_COOKIE"), ["Authorization"] = os.getenv("B3_AUTH")})
end
"""


def wrk(
    url: str, lua: str, lines: list[str], seconds: int, connections: int, threads: int = 2, **env
) -> dict:
    work = Path(tempfile.mkdtemp(prefix="b3-wrk-"))
    (work / "script.lua").write_text(LUA_COMMON + lua)
    (work / "input.txt").write_text("\n".join(lines) + "\n")
    run_env = {
        **os.environ,
        "B3_INPUT": str(work / "input.txt"),
        "B3_OUTPUT": str(work / "ids.txt"),
        "B3_THREADS": str(threads),
        "B3_AUTH": "",
        "B3_COOKIE": "",
        **env,
    }
    # wrk from PATH, as bench/README.md says
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    command += ["-s", str(work / "script.lua"), url]
    out = subprocess.run(command, env=run_env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    result = json.loads(re.search(r"B3RESULT (\{.*\})", out).group(1))  # type: ignore[union-attr]
    result["ids"] = [int(x) for x in (work / "ids.txt").read_text().split()]
    result["requests"] -= result["statuses"].pop("204", 0)  # fillers after the input ran out
    # a thread that used up its lines stopped early, but wrk still counts the whole
    # duration: the rate is then only a lower bound (the phase finished its input sooner)
    result["ran_out"] = bool(result["ran_out"])
    result["rate"] = result["requests"] / result["seconds"]
    return result


def intake_lines(count: int, boxes, rng, category: Category, prefix: str, bare: bool) -> list[str]:
    lines = []
    for i in range(count):
        grid, box = rng.choice(boxes)
        lng, lat = point_in(box, rng)
        if bare:
            body = {"grid": grid.code, "category_id": category.pk, "lat": lat, "lng": lng,
                    "description": "市民来电：小区门口车辆乱停，消防通道被堵"}  # fmt: skip
            path = "/bench/bare-intake"
        else:
            body = {"category": category.code, "lat": lat, "lng": lng, "channel": "hotline",
                    "description": "市民来电：小区门口车辆乱停，消防通道被堵", "reporter_phone": "13912345678"}  # fmt: skip
            path = "/api/v1/cases/cases"
        lines.append(f"POST\t{path}\t{prefix}-{i}\t{json.dumps(body, ensure_ascii=False)}")
    return lines


def report(name: str, r: dict, expected: set[int]) -> int:
    unexpected = sum(v for k, v in r["statuses"].items() if int(k) not in expected)
    print(
        f"{name:8} {r['requests']:>7,} requests in {r['seconds']:.1f} s = {r['rate']:7.1f}/s"
        f"{' (input ran out: at least)' if r['ran_out'] else ''}   "
        f"p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  p99 {r['p99']:.1f} ms   "
        f"socket errors {r['errors']}  unexpected statuses {unexpected}  {r['statuses']}",
        flush=True,
    )
    return r["errors"] + unexpected


def main(n: int) -> None:
    seconds = int(os.environ.get("B3_SECONDS", "20"))
    cores = os.cpu_count() or 1
    # docs/install.md: as many workers as cores on SQLite (one writer at a time), 2n+1 on PostgreSQL
    workers = int(
        os.environ.get("B3_WORKERS", str(cores if connection.vendor == "sqlite" else 2 * cores + 1))
    )
    conns = int(os.environ.get("B3_CONNECTIONS", "16"))
    rng = random.Random(3)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("setup_demo", stdout=io.StringIO())
    boxes = grid_boxes()
    if Case.objects.count() < n:  # a LINLI_VAR_DIR from an earlier run is reused as it is
        fill(n, boxes, rng)
    operator = User.objects.get(username="district")
    _t, key = do_create_token(operator, "b3", actor=None)
    auth = f"Bearer {key}"
    category = Category.objects.get(code="0403")  # 机动车乱停放: accepted at subdistrict level
    port = 8790 + rng.randrange(100)
    db = connection.vendor
    print(
        f"database {db}; gunicorn {workers} sync workers; wrk 2 threads, {conns} connections, {seconds} s",
        flush=True,
    )
    server = start_server(port, workers)
    base = f"http://127.0.0.1:{port}"
    failures = 0
    try:
        if os.environ.get("B3_INTAKE", "1") != "0":
            failures += load_phases(base, boxes, rng, category, operator, auth, seconds, conns)
        if os.environ.get("B3_PAGES", "1") != "0":
            failures += page_phase(base, auth)
    finally:
        server.terminate()
        server.wait(20)
    print(f"\nerrors and duplicates in all: {failures}")
    sys.exit(1 if failures else 0)


def load_phases(base, boxes, rng, category, operator, auth, seconds, conns) -> int:
    failures = 0
    # enough request lines for far more than 200/s; wrk stops when a thread runs out
    run = secrets.token_hex(4)  # keys of their own, so a reused LINLI_VAR_DIR can run again
    lines = intake_lines(seconds * 600, boxes, rng, category, f"b3-{run}", bare=False)
    before = Case.objects.count()
    r = wrk(base, LUA_REQUESTS, lines, seconds, conns, B3_AUTH=auth)
    failures += report("intake", r, {201})
    time.sleep(1)  # requests still in flight when wrk stopped finish
    prefix = f"api:{operator.pk}:"
    mine = Case.objects.filter(idempotency_key__startswith=f"{prefix}b3-{run}-")
    created = Case.objects.count() - before
    keys = set(mine.values_list("idempotency_key", flat=True))
    dupes = created - len(keys)
    print(
        f"         cases created {created:,} for {len(keys):,} distinct keys (duplicates {dupes}); "
        f"201 answers {len(r['ids']):,}; answered after wrk stopped {created - len(r['ids'])}"
    )
    failures += abs(dupes)
    intake_ids, intake_rate = r["ids"], r["rate"]

    # every request whose case exists, sent again with its key: nothing new may appear
    sent = [lines[int(k.rsplit("-", 1)[1])] for k in keys]
    before = Case.objects.count()
    r = wrk(base, LUA_REQUESTS, sent, seconds, conns, B3_AUTH=auth)
    failures += report("replay", r, {200})
    again = Case.objects.count() - before
    print(f"         cases created by replaying {r['requests']:,} of {len(sent):,} sent requests: {again}")
    failures += again

    bare_lines = intake_lines(seconds * 1500, boxes, rng, category, f"bare-{run}", bare=True)
    r = wrk(base, LUA_REQUESTS, bare_lines, seconds, conns)
    failures += report("bare", r, {201})
    bare_rate, bare_ids = r["rate"], r["ids"]

    # the cases both phases created (the bare view's are as real), so accepting does not
    # run out of input as soon as it outpaces the intake
    accept = [
        f'POST\t/api/v1/cases/cases/{i}/actions\t\t{{"action": "accept"}}' for i in [*intake_ids, *bare_ids]
    ]
    r = wrk(base, LUA_REQUESTS, accept, seconds, conns, B3_AUTH=auth)
    failures += report("accept", r, {200})
    accepted = Case.objects.filter(pk__in=[*intake_ids, *bare_ids], status=Status.ACCEPTED).count()
    print(f"         accepted in the database {accepted:,} (answers {r['requests']:,})")

    print(
        f"intake {intake_rate:.1f} cases/s = {intake_rate / bare_rate:.0%} of the bare view's {bare_rate:.1f}/s"
    )
    return failures


def page_phase(base, auth) -> int:
    failures = 0
    print(f"\nlist and to-do pages at {Case.objects.count():,} cases (wrk, 1 connection, 10 s each)")
    users = {
        "district": ["/cases/todo/", "/cases/", "/cases/?status=accepted&overdue=1"],
        "xintilu": ["/cases/todo/", "/cases/"],
        "enhelu": ["/cases/todo/", "/cases/"],
        "grid": ["/cases/todo/", "/cases/"],
        "chengguan": ["/cases/todo/", "/cases/"],
    }
    for username, paths in users.items():
        c = Client()
        c.force_login(User.objects.get(username=username))
        cookie = f"{settings.SESSION_COOKIE_NAME}={c.cookies[settings.SESSION_COOKIE_NAME].value}"
        for path in paths:
            for _ in range(8):  # every worker compiles its templates and fills its caches first
                warm = urllib.request.Request(base + path, headers={"Cookie": cookie})  # noqa: S310
                urllib.request.urlopen(warm, timeout=10).read()  # noqa: S310 - our own server
            r = wrk(base, LUA_GET, [path], 10, 1, threads=1, B3_COOKIE=cookie)
            failures += report(f"{username:9} {path}"[:40], r, {200})
    r = wrk(base, LUA_GET, ["/api/v1/cases/cases?todo=true"], 10, 1, threads=1, B3_AUTH=auth)
    failures += report("api todo (district)", r, {200})
    return failures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
