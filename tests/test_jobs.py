"""Background imports: a large file becomes a job with a progress page that only its owner
sees; the job's result, errors and error report; and the safety checks of the reader."""

import io
import zipfile

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.core import jobs, tabular
from linli.core.errors import ServiceError
from linli.core.models import Job
from linli.people.models import Resident
from tests.test_people import make_id
from tests.test_people_import import row, xlsx


@pytest.fixture
def units(users):
    from tests.test_people import unit

    return [unit(users, room=f"{r}") for r in ("101", "102")]


def _upload(client, data, name="r.xlsx"):
    return client.post("/people/residents/import/", {"file": SimpleUploadedFile(name, data)})


def test_large_import_runs_as_a_job_with_progress(
    users, units, client_for, settings, django_capture_on_commit_callbacks
):
    settings.LINLI_IMPORT_INLINE_ROWS = 1
    rows = [row(f"后台{i}", make_id(f"1980010{i + 1}", "31" + str(i)), room="101") for i in range(3)]
    c = client_for("staff")
    with django_capture_on_commit_callbacks(execute=True):
        resp = _upload(c, xlsx(rows))
    job = Job.objects.get(owner=users["staff"])
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.DONE and job.total == 3
    assert job.result == {"created": 3, "updated": 0, "unchanged": 0, "households": 0}
    assert Resident.objects.filter(name__startswith="后台").count() == 3
    page = c.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="job-result"' in page and "新增 3" in page and "100%" in page
    assert "hx-trigger" not in page  # finished: no more polling
    assert f"/jobs/{job.pk}/" in c.get("/jobs/").content.decode()
    # only the owner sees it
    assert client_for("operator").get(f"/jobs/{job.pk}/").status_code == 404
    assert f"/jobs/{job.pk}/" not in client_for("operator").get("/jobs/").content.decode()
    # the uploaded copy is gone once the job ran
    assert not jobs._upload_path(job.pk).exists()


def test_running_job_page_polls_and_shows_progress(users, client_for):
    job = Job.objects.create(kind="people.residents", owner=users["staff"], filename="x.xlsx", total=200)
    job.status = Job.Status.RUNNING
    job.save()
    caches["progress"].set(f"job:{job.pk}", (50, 200))
    c = client_for("staff")
    page = c.get(f"/jobs/{job.pk}/").content.decode()
    assert "25%" in page and 'hx-trigger="every 1s"' in page
    partial = c.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="job-status"') and "<html" not in partial


def test_failed_job_keeps_errors_and_report_for_its_owner(
    users, units, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.LINLI_IMPORT_INLINE_ROWS = 1
    settings.MEDIA_ROOT = str(tmp_path)
    rows = [row("坏行", "150902198001010110"), row("好行", make_id("19800105", "411"))]
    c = client_for("staff")
    with django_capture_on_commit_callbacks(execute=True):
        _upload(c, xlsx(rows))
    job = Job.objects.get(owner=users["staff"])
    assert job.status == Job.Status.FAILED and "未导入任何数据" in job.message
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "公民身份号码"
    assert not Resident.objects.filter(name="好行").exists()
    page = c.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="import-errors"' in page and "校验位" in page
    report = c.get(f"/jobs/{job.pk}/report/")
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")
    assert client_for("operator").get(f"/jobs/{job.pk}/report/").status_code == 404


def test_small_import_stays_in_the_request(users, units, client_for):
    c = client_for("staff")
    resp = _upload(c, xlsx([row("当场", make_id("19800106", "511"))]))
    assert resp.status_code == 302 and resp["Location"] == "/people/residents/"
    assert not Job.objects.exists()


def _xlsx_with_sheet(replace):
    src = zipfile.ZipFile(io.BytesIO(xlsx([row("甲", make_id("19800107", "611"))])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = replace(body)
            dst.writestr(name, body)
    return out.getvalue()


def test_reader_refuses_dtds_and_zip_bombs(settings):
    laughs = _xlsx_with_sheet(
        lambda b: b.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet', 1)
    )
    with pytest.raises(ServiceError) as exc:
        tabular.open_table(laughs, "r.xlsx")
    assert "DTD" in str(exc.value.message)
    # the reader looks for a DTD up to the first element: comments and processing
    # instructions before it are skipped, never taken for that element
    for prolog in (b'<!-- <x --><?pi <y ?>\n<!DOCTYPE w [<!ENTITY a "a">]>', b'<!ENTITY a "a">'):
        hidden = _xlsx_with_sheet(lambda b, p=prolog: b.replace(b"<worksheet", p + b"<worksheet", 1))
        with pytest.raises(ServiceError, match="DTD"):
            tabular.open_table(hidden, "r.xlsx")
    padded = _xlsx_with_sheet(lambda b: b + b" " * 5_000_000)  # compresses to almost nothing
    settings.LINLI_MAX_IMPORT_BYTES = 100_000
    with pytest.raises(ServiceError) as exc:
        tabular.open_table(padded, "r.xlsx")
    assert "解压后过大" in str(exc.value.message)
    with pytest.raises(ServiceError):
        tabular.open_table(b"PK\x03\x04 not really", "r.xlsx")
    with pytest.raises(ServiceError):
        tabular.open_table(b"\xd0\xcf\x11\xe0 not an xls", "r.xls")


def test_row_numbers_count_blank_rows():
    data = "姓名,号\n甲,1\n\n,\n乙,2\n".encode()
    table = tabular.open_table(data, "r.csv")
    assert table.header == ["姓名", "号"] and table.total == 4
    assert list(table.rows) == [(2, ["甲", "1"]), (5, ["乙", "2"])]
