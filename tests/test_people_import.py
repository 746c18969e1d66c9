import datetime as dt
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from linli.core import tally
from linli.core.errors import ServiceError
from linli.core.models import AuditEntry
from linli.core.testing import GRID_A, GRID_B
from linli.people import services
from linli.people.importer import import_residents, template_header
from linli.people.models import Household, NameToken, Resident
from linli.people.services import name_tokens
from tests.test_people import make_id, unit

HEADER = template_header()


def row(name, cid, room="101", **kw):
    values = {
        "姓名": name,
        "公民身份号码": cid,
        "网格编码": GRID_A,
        "小区": "",
        "楼栋": "人口测试楼",
        "单元": "1",
        "房号": room,
        **kw,
    }
    return [values.get(h, "") for h in HEADER]


def xlsx(rows, numeric_ids=False):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        if numeric_ids:
            r = [int(c) if HEADER[i] == "公民身份号码" and c.isdigit() else c for i, c in enumerate(r)]
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def units(users):
    return [unit(users, room=f"{r}") for r in ("101", "102")]


def test_import_creates_then_reimport_changes_nothing(users, units):
    rows = [
        row(
            "导入甲",
            make_id("19700101", "111"),
            户号="H1",
            与户主关系="户主",
            民族="回族",
            联系电话="13811112222",
        ),
        row("导入乙", make_id("19720202", "122"), 户号="H1", 与户主关系="配偶"),
        row("导入丙", make_id("19900303", "133"), room="102", 人口类别="流动"),
    ]
    data = xlsx(rows)
    result = import_residents(data, "r.xlsx", actor=users["staff"])
    assert result.as_dict() == {"created": 3, "updated": 0, "unchanged": 0, "households": 1}
    a = Resident.objects.get(name="导入甲")
    assert a.ethnicity == "03" and a.phone.reveal() == "13811112222" and a.grid_id == GRID_A
    # derived from the ID and written as the ORM would (a date column, the political status's default)
    assert (a.birth_date, a.gender, a.political_status) == (
        dt.date(1970, 1, 1),
        "1",
        "13",
    )  # 17th digit odd: male
    assert Resident.objects.filter(birth_date=dt.date(1970, 1, 1), name="导入甲").exists()
    assert Household.objects.get(number="H1").head == a
    assert set(services.search_residents(users["staff"], "导入").values_list("name", flat=True)) == {
        "导入甲",
        "导入乙",
        "导入丙",
    }
    assert {r.pk for r in services.search_residents(users["staff"], "drj")} == {a.pk}
    assert AuditEntry.objects.filter(
        action="create", object_type="people.resident", object_id=str(a.pk)
    ).exists()
    again = import_residents(data, "r.xlsx", actor=users["staff"])
    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 3, "households": 0}
    changed = import_residents(
        xlsx(
            [
                row(
                    "导入甲",
                    make_id("19700101", "111"),
                    户号="H1",
                    与户主关系="户主",
                    民族="回族",
                    联系电话="13899990000",
                )
            ]
        ),
        "r.xlsx",
        actor=users["staff"],
    )
    assert changed.updated == 1
    a.refresh_from_db()
    assert a.phone.reveal() == "13899990000"
    assert set(services.search_residents(users["staff"], "13899990000")) == {a}
    # a new name: the tokens of the old one go, the new one is found
    renamed = xlsx([row("改名甲", make_id("19700101", "111"), 户号="H1", 与户主关系="户主", 民族="回族")])
    assert import_residents(renamed, "r.xlsx", actor=users["staff"]).updated == 1
    assert set(NameToken.objects.filter(resident=a).values_list("token", flat=True)) == name_tokens("改名甲")
    assert list(services.search_residents(users["staff"], "改名")) == [a]
    assert a not in services.search_residents(users["staff"], "导入")
    # the counts the database keeps (the import counts its new rows together at the end)
    assert [m.name for m in tally.all_measures() if tally.differences(m)] == []


def test_errors_name_row_and_column_and_import_nothing(users, units):
    good = make_id("19700101", "211")
    rows = [
        row("好人", good),
        row("坏校验", "150902197001012110"),
        row("重复", good),
        row("", make_id("19800101", "231")),
        row("无房", make_id("19800101", "241"), room="999"),
        row("小户主", make_id("20150101", "251"), 户号="H9", 与户主关系="户主"),
        row("坏电话", make_id("19800101", "261"), 联系电话="12345"),
        row("坏民族", make_id("19800101", "271"), 民族="火星族"),
        row("越界", make_id("19800101", "281"), 网格编码=GRID_B),
    ]
    with pytest.raises(ServiceError) as exc:
        import_residents(xlsx(rows), "r.xlsx", actor=users["staff"])
    got = {(e["row"], e["column"]) for e in exc.value.errors}
    assert {
        (3, "公民身份号码"),
        (4, "公民身份号码"),
        (5, "姓名"),
        (6, "房号"),
        (7, "与户主关系"),
        (8, "联系电话"),
        (9, "民族"),
        (10, "房号"),
    } <= got
    assert not Resident.objects.filter(name="好人").exists()


def test_excel_numbers_reported_not_mangled(users, units):
    with pytest.raises(ServiceError) as exc:
        import_residents(
            xlsx([row("数字号", make_id("19700101", "311"))], numeric_ids=True),
            "r.xlsx",
            actor=users["staff"],
        )
    assert "存成了数字" in exc.value.errors[0]["message"]
    csv = ("\ufeff" + ",".join(HEADER) + "\n" + ",".join(row("科学计数", "1.50902E+17"))).encode()
    with pytest.raises(ServiceError) as exc:
        import_residents(csv, "r.csv", actor=users["staff"])
    assert "存成了数字" in exc.value.errors[0]["message"]


def test_import_page_and_error_report(users, units, client_for):
    c = client_for("staff")
    assert c.get("/people/residents/import/?template=xlsx").status_code == 200
    data = xlsx([row("页面导入", make_id("19700101", "411")), row("页面坏", "123")])
    page = c.post("/people/residents/import/", {"file": SimpleUploadedFile("r.xlsx", data)}).content.decode()
    assert "未导入任何数据" in page and 'id="error-report"' in page
    report_id = page.split("?report=")[1].split('"')[0]
    report = c.get(f"/people/residents/import/?report={report_id}")
    ws = load_workbook(io.BytesIO(report.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "错误" and rows[1][-1] in ("", None) and "公民身份号码" in rows[2][-1]
    assert client_for("operator").get(f"/people/residents/import/?report={report_id}").status_code == 404
    ok = c.post(
        "/people/residents/import/",
        {"file": SimpleUploadedFile("r.xlsx", xlsx([row("页面导入", make_id("19700101", "411"))]))},
    )
    assert ok.status_code == 302 and Resident.objects.filter(name="页面导入").exists()
    assert client_for("handler").get("/people/residents/import/").status_code == 404


def test_list_links_to_import_only_for_adders(client_for):
    assert "/people/residents/import/" in client_for("grid_worker").get("/people/residents/").content.decode()
    assert "/people/residents/import/" not in client_for("handler").get("/people/residents/").content.decode()


def test_error_reports_are_short_lived_and_private(users, units, client_for, settings, tmp_path):
    import os
    import stat
    import time

    from linli.core import tabular

    settings.MEDIA_ROOT = str(tmp_path)
    data = xlsx([row("报告人", "123")])
    with pytest.raises(ServiceError) as exc:
        import_residents(data, "r.xlsx", actor=users["staff"])
    first = tabular.save_error_report(data, "r.xlsx", exc.value.errors)
    path = tmp_path / "import-errors" / f"{first}.xlsx"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stale = tabular.save_error_report(data, "r.xlsx", exc.value.errors)
    old = time.time() - tabular.ERROR_REPORT_TTL - 10
    os.utime(tmp_path / "import-errors" / f"{stale}.xlsx", (old, old))
    assert tabular.load_error_report(stale) is None  # expired: not served
    newest = tabular.save_error_report(data, "r.xlsx", exc.value.errors, replaces=first)
    remaining = {p.stem for p in (tmp_path / "import-errors").glob("*.xlsx")}
    assert remaining == {newest}  # the stale one and the replaced one are gone
    assert tabular.load_error_report("../../etc/passwd") is None
    # through the page: a second failed upload replaces the session's first report
    c = client_for("staff")
    from django.core.files.uploadedfile import SimpleUploadedFile

    for _ in range(2):
        c.post("/people/residents/import/", {"file": SimpleUploadedFile("r.xlsx", data)})
    assert len(list((tmp_path / "import-errors").glob("*.xlsx"))) == 2  # newest above + this session's one


def test_import_in_two_processes_gives_the_same_result(users, units, monkeypatch):
    """A file of more than one chunk is prepared in a forked child while the chunk before
    is written: the same errors in the same order, and the same records."""
    from linli.people import importer

    bad = [
        row("好人", make_id("19700101", "611")),
        row("坏校验", "150902197001016110"),
        row("重复", make_id("19700101", "611")),
        row("无房", make_id("19800101", "641"), room="999"),
        row("坏电话", make_id("19800101", "661"), 联系电话="12345"),
    ]
    with pytest.raises(ServiceError) as serial:
        import_residents(xlsx(bad), "r.xlsx", actor=users["staff"])
    monkeypatch.setattr(importer, "CHUNK", 2)
    with pytest.raises(ServiceError) as forked:
        import_residents(xlsx(bad), "r.xlsx", actor=users["staff"])
    assert forked.value.errors == serial.value.errors and len(serial.value.errors) == 4
    assert not Resident.objects.filter(name="好人").exists()

    good = [  # chunks of two: H7 is made with its head, H8's head comes a chunk later
        row("分块甲", make_id("19700101", "711"), 户号="H7", 与户主关系="户主", 联系电话="13811113333"),
        row("分块丙", make_id("19900303", "733"), room="102", 户号="H8", 与户主关系="配偶"),
        row("分块乙", make_id("19720202", "722"), 户号="H7", 与户主关系="配偶"),
        row("分块丁", make_id("19910303", "744"), room="102", 户号="H8", 与户主关系="户主"),
        row("分块戊", make_id("19920303", "755"), room="102"),
    ]
    progress = []
    result = import_residents(
        xlsx(good), "r.xlsx", actor=users["staff"], progress=lambda d, t: progress.append(d)
    )
    assert result.as_dict() == {"created": 5, "updated": 0, "unchanged": 0, "households": 2}
    assert progress[:3] == [2, 4, 5]
    head = Resident.objects.get(name="分块甲")
    assert head.phone.reveal() == "13811113333" and Household.objects.get(number="H7").head == head
    assert Household.objects.get(number="H8").head == Resident.objects.get(name="分块丁")
    assert {r.name for r in services.search_residents(users["staff"], "分块")} == {r[0] for r in good}
    assert import_residents(xlsx(good), "r.xlsx", actor=users["staff"]).unchanged == 5


def test_pipeline_keeps_order_and_reports_a_failing_child():
    from linli.core.pipeline import prepared_chunks

    rows = list(range(10))
    assert list(prepared_chunks(rows, 3, sum)) == [3, 12, 21, 9]
    assert list(prepared_chunks(rows, 3, sum, parallel=False)) == [3, 12, 21, 9]

    def broken(chunk):
        if 6 in chunk:
            raise ValueError("坏块")
        return len(chunk)

    # whichever side is behind, the other prepares chunks too: in order all the same
    def slow(chunk):
        time.sleep(0.02)
        return chunk, os.getpid()

    shared = list(prepared_chunks(range(41), 2, slow, first=1))
    assert [c for c, _pid in shared] == [[0], *[[n, n + 1] for n in range(1, 41, 2)]]
    assert {pid for _c, pid in shared} - {os.getpid()}, "the child prepared some"
    assert os.getpid() in {pid for _c, pid in shared}, "and the caller too, while it waited"

    got = []
    with pytest.raises(RuntimeError, match="坏块"):
        for n in prepared_chunks(rows, 3, broken):
            got.append(n)
    assert got == [3, 3]


def test_pipeline_caller_that_is_the_slower_side_only_waits():
    """Preparing is quick and using slow: the caller never takes a chunk from the child,
    not even the first one, which it waits for (the writer of an import on SQLite)."""
    from linli.core.pipeline import prepared_chunks

    def quick(chunk):
        return chunk, os.getpid()

    got = []
    for chunk, pid in prepared_chunks(range(30), 3, quick, first=1):
        time.sleep(0.01)
        got.append((chunk, pid))
    assert [c for c, _pid in got] == [[0], *[list(range(n, min(n + 3, 30))) for n in range(1, 30, 3)]]
    assert os.getpid() not in {pid for _c, pid in got}


def test_pipeline_takes_the_last_chunk_of_a_child_that_left_while_it_waited():
    """A wait that comes back empty while the child, alive when the wait began, sends its
    last chunk and exits is no failure: the chunk is read on the next wait. Only a child
    dead before an empty wait is one that died without sending."""
    import queue as queues

    from linli.core import pipeline

    class Child:
        exitcode = 0

        def __init__(self):
            self.alive = True

        def is_alive(self):
            return self.alive

    class Out:
        def __init__(self, child):
            self.child, self.items = child, []

        def get(self, timeout=None):
            if self.child.alive:  # the wait ends empty, just as the child sends and leaves
                self.child.alive = False
                self.items.append(("end", 3))
                raise queues.Empty
            if not self.items:
                raise queues.Empty
            return self.items.pop(0)

    child = Child()
    out = Out(child)
    assert pipeline._message(out, child, block=True) is None
    assert pipeline._message(out, child, block=True) == ("end", 3)
    with pytest.raises(RuntimeError, match="exited with code 0"):
        pipeline._message(out, child, block=True)
