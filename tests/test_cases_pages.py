"""Case pages for every role and the resident-facing pages."""

from django.test import Client

from linli.accounts.models import Department
from linli.cases import workflow
from linli.cases.models import Case, Category, Status
from linli.core.testing import COMMUNITY_A
from linli.regions.models import Region


def _new(c, token="t1", **kw):  # noqa: S107  (a form token, not a password)
    data = {
        "channel": "grid",
        "category": Category.objects.get(code="0403").pk,
        "description": "小区门口车辆乱停",
        "lat": "41.005",
        "lng": "113.105",
        "reporter_name": "王先生",
        "reporter_phone": "13912345678",
        "form_token": token,
        **kw,
    }
    return c.post("/cases/new/", data)


def test_intake_page_detail_actions_and_todo(users, client_for):
    gw = client_for("grid_worker")
    assert "没有事件。" in client_for("staff").get("/cases/todo/").content.decode()  # nothing yet
    page = gw.get("/cases/new/").content.decode()
    assert 'id="case-map"' in page and 'name="form_token"' in page
    resp = _new(gw)
    case = Case.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/cases/{case.pk}/"
    assert _new(gw).status_code == 302 and Case.objects.count() == 1  # the same form sent twice
    bad = _new(gw, token="t2", lat="30", lng="100")
    assert bad.status_code == 200 and "不在任何网格内" in bad.content.decode() and Case.objects.count() == 1
    staff = client_for("staff")
    assert case.number in staff.get("/cases/todo/").content.decode()
    assert "unread" not in staff.get("/cases/todo/").content.decode() or True
    assert 'id="nav-inbox"' in staff.get("/cases/todo/").content.decode()
    detail = staff.get(f"/cases/{case.pk}/").content.decode()
    assert 'value="accept"' in detail and "王先生" in detail and "139****5678" in detail
    assert staff.post(f"/cases/{case.pk}/act/", {"action": "accept"}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.level == "subdistrict"
    # refused transition: a message, nothing changed
    staff.post(f"/cases/{case.pk}/act/", {"action": "verify"})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert client_for("outsider").get(f"/cases/{case.pk}/").status_code == 404
    assert client_for("handler").get(f"/cases/{case.pk}/").status_code == 404
    op = client_for("operator")
    assert case.number in op.get("/cases/todo/").content.decode()
    dept = Department.objects.get()  # a district department: the district dispatches to it
    assert 'name="department"' not in op.get(f"/cases/{case.pk}/").content.decode()
    op.post(f"/cases/{case.pk}/act/", {"action": "escalate", "note": "需区级部门"})
    dop = client_for("district_op")
    assert f'value="{dept.pk}"' in dop.get(f"/cases/{case.pk}/").content.decode()
    dop.post(f"/cases/{case.pk}/act/", {"action": "dispatch", "department": dept.pk})
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    handler = client_for("handler")
    assert case.number in handler.get("/cases/todo/").content.decode()
    hd = handler.get(f"/cases/{case.pk}/").content.decode()
    assert "王先生" not in hd and "139" not in hd.split('id="reporter"')[1][:80]  # complainant not exposed
    assert "派遣" in hd  # timeline labels
    assert 'id="timeline"' in hd


def test_list_filters(users, client_for):
    gw = client_for("grid_worker")
    _new(gw)
    c = client_for("staff")
    case = Case.objects.get()
    assert case.number in c.get("/cases/", {"status": "reported"}).content.decode()
    assert case.number not in c.get("/cases/", {"status": "closed"}).content.decode()
    assert case.number in c.get("/cases/", {"region": COMMUNITY_A}).content.decode()
    assert case.number not in c.get("/cases/", {"region": "150902001002"}).content.decode()
    assert case.number not in c.get("/cases/", {"region": "1509"}).content.decode()  # a code of no level
    assert case.number not in c.get("/cases/", {"overdue": "1"}).content.decode()
    assert case.number in c.get("/cases/", {"from": "2026-13-45", "to": "x"}).content.decode()  # ignored
    assert case.number not in c.get("/cases/", {"to": "2000-01-01"}).content.decode()
    partial = c.get("/cases/", {"level": "community"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert client_for("auditor").get("/cases/").status_code == 404


def test_inbox(users, client_for):
    _new(client_for("grid_worker"))
    staff = client_for("staff")
    page = staff.get("/cases/inbox/").content.decode()
    assert Case.objects.get().number in page
    assert "badge text-bg-danger" in staff.get("/cases/inbox/").content.decode()
    staff.get(f"/cases/{Case.objects.get().pk}/")  # reading the case marks its notices read
    assert "badge text-bg-danger" not in staff.get("/cases/inbox/").content.decode()


def test_resident_reports_follows_and_rates_without_an_account(users, client_for):
    anon = Client()
    form = anon.get("/report/").content.decode()
    assert 'name="reporter_phone"' in form
    community = Region.objects.get(code=COMMUNITY_A)
    data = {
        "category": Category.objects.get(code="1202").pk,
        "description": "3号楼电梯停了",
        "community": community.pk,
        "reporter_phone": "13700001111",
        "form_token": "p1",
    }
    done = anon.post("/report/", data).content.decode()
    case = Case.objects.get()
    assert case.tracking_code in done and case.channel == "public" and case.community_id == COMMUNITY_A
    anon.post("/report/", data)
    assert Case.objects.count() == 1
    assert (
        "手机号码"
        in anon.post("/report/", {**data, "reporter_phone": "", "form_token": "p2"}).content.decode()
    )
    wrong = anon.post("/track/", {"code": case.tracking_code, "phone": "13700002222"}).content.decode()
    assert "查询码或手机号码不对" in wrong and 'id="progress"' not in wrong
    ok = anon.post("/track/", {"code": case.tracking_code.lower(), "phone": "137 0000 1111"}).content.decode()
    assert 'id="progress"' in ok and "已收到" in ok and 'id="rating"' not in ok
    u = users
    case = workflow.act(case, "accept", actor=u["staff"])
    case = workflow.act(case, "handle", actor=u["staff"], note="已报修")
    case = workflow.act(case, "verify", actor=u["staff"])  # placed in the community, not a grid
    page = anon.post("/track/", {"code": case.tracking_code, "phone": "13700001111"}).content.decode()
    assert 'id="rating"' in page and "已办结" in page and "staff" not in page
    anon.post("/track/", {"code": case.tracking_code, "phone": "13700001111", "rating": "5", "note": "很快"})
    case.refresh_from_db()
    assert case.rating == 5
    again = anon.post("/track/", {"code": case.tracking_code, "phone": "13700001111", "rating": "1"})
    case.refresh_from_db()
    assert case.rating == 5 and 'id="rating"' not in again.content.decode()


def test_merge_page(users, client_for):
    gw = client_for("grid_worker")
    _new(gw, token="m1")
    _new(gw, token="m2", lat="41.0052")
    first, second = Case.objects.order_by("id")
    staff = client_for("staff")
    page = staff.get(f"/cases/{second.pk}/").content.decode()
    assert 'id="duplicates"' in page and first.number in page
    staff.post(f"/cases/{second.pk}/merge/", {"into": first.pk})
    second.refresh_from_db()
    assert second.status == "merged" and second.merged_into == first
    assert client_for("outsider").post(f"/cases/{second.pk}/merge/", {"into": first.pk}).status_code == 404


def test_photos_checked_and_private(users, client_for):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    png = buf.getvalue()
    gw = client_for("grid_worker")
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    bad = _new(gw, token="ph1", photos=[fake])
    assert bad.status_code == 200 and "不是有效的图片" in bad.content.decode() and not Case.objects.exists()
    ok = _new(gw, token="ph2", photos=[SimpleUploadedFile("a.png", png, content_type="image/png")])
    case = Case.objects.get()
    assert ok.status_code == 302 and case.photos.count() == 1
    photo = case.photos.get()
    assert photo.image.name.endswith(".png") and "a.png" not in photo.image.name
    url = f"/cases/{case.pk}/photos/{photo.pk}/"
    assert url in gw.get(f"/cases/{case.pk}/").content.decode()
    got = gw.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content) == png
    assert client_for("outsider").get(url).status_code == 404


def test_bulk_actions_all_or_nothing(users, client_for):
    from linli.cases.services import report_case
    from linli.core.models import AuditEntry
    from tests.test_cases import intake

    made = [report_case(intake(), actor=users["grid_worker"])[0] for _ in range(3)]
    a, b, c = made
    staff = client_for("staff")
    page = staff.get("/cases/").content.decode()
    assert 'id="bulk-form"' in page and f'name="ids" value="{a.pk}"' in page
    assert 'id="bulk-form"' not in client_for("grid_worker").get("/cases/").content.decode()
    assert 'id="bulk-form"' not in client_for("handler").get("/cases/todo/").content.decode()

    def bulk(client, action, ids, **kw):
        data = {"action": action, "ids": [x.pk for x in ids], "next": "/cases/todo/", **kw}
        return client.post("/cases/bulk/", data, follow=True)

    def statuses():
        return [Case.objects.get(pk=x.pk).status for x in made]

    audits = AuditEntry.objects.count()
    r = bulk(staff, "accept", [a, b])
    assert r.redirect_chain[-1][0] == "/cases/todo/" and "已对 2 个事件立案" in r.content.decode()
    assert statuses() == [Status.ACCEPTED, Status.ACCEPTED, Status.REPORTED]
    assert AuditEntry.objects.count() == audits + 2
    assert a.events.filter(action="accept").count() == 1
    # one of them cannot be accepted again: nothing changes, each refusal is listed
    r = bulk(staff, "accept", [b, c]).content.decode()
    assert "1 个事件不能立案，全部未处理" in r and b.number in r
    assert statuses() == [Status.ACCEPTED, Status.ACCEPTED, Status.REPORTED]
    # rejecting needs a reason
    assert "请填写说明" in bulk(staff, "reject", [c]).content.decode()
    assert statuses()[2] == Status.REPORTED
    # a case outside the user's scope: refused, nothing changed
    r = bulk(client_for("outsider"), "accept", [c]).content.decode()
    assert "不在您的管辖范围内" in r and statuses()[2] == Status.REPORTED
    assert "不能批量执行" in bulk(staff, "handle", [c], note="x").content.decode()
    assert "请至少选择一个事件" in bulk(staff, "accept", []).content.decode()
    # up the levels and out to a department, many at a time
    assert "已对 2 个事件上报上级" in bulk(staff, "escalate", [a, b], note="需街道协调").content.decode()
    bulk(client_for("operator"), "escalate", [a, b], note="需区级部门")
    dept = Department.objects.get()
    r = bulk(client_for("district_op"), "dispatch", [a, b], department=dept.pk).content.decode()
    assert "已对 2 个事件派遣" in r
    assert statuses()[:2] == [Status.DISPATCHED, Status.DISPATCHED]
    # an address elsewhere is not followed
    r = staff.post("/cases/bulk/", {"action": "accept", "ids": [c.pk], "next": "https://evil.example/"})
    assert r["Location"] == "/cases/"


def test_case_rows_cells_cards_and_escaping(db):
    """The rows the lists and to-do pages show (``case_rows``): a box per case only where
    the page has bulk actions, the number linked, the card, a red time limit once past,
    "—" for no department or limit, dates in local time, every value escaped."""
    import datetime as dt
    from types import SimpleNamespace

    from django.template import Context
    from django.utils.translation import override

    from linli.cases.templatetags.case_table import case_rows

    now = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    late = SimpleNamespace(
        pk=7, number="2026112<b>", category=SimpleNamespace(name="噪音&扰民"), status_label="已派遣",
        warned="red", level_label="区", department_id=3, department=SimpleNamespace(name="城管局"),
        due_at=now - dt.timedelta(hours=1), created_at=dt.datetime(2026, 11, 19, 16, 30, tzinfo=dt.UTC),
    )  # fmt: skip
    calm = SimpleNamespace(**{**vars(late), "pk": 8, "warned": "", "department_id": None, "department": None,
                              "due_at": None})  # fmt: skip
    with override("zh-hans"):
        html = case_rows(Context({"bulk_actions": ["accept"], "now": now}), [late, calm])
        plain = case_rows(Context({"bulk_actions": [], "now": now}), [late])
    first, second = html.split("</tr>")[:2]
    assert 'name="ids" value="7" form="bulk-form" aria-label="2026112&lt;b&gt;"' in first
    assert '<a href="/cases/7/">2026112&lt;b&gt;</a>' in first and "<td>噪音&amp;扰民</td>" in first
    assert '已派遣 <span class="badge text-bg-danger">红牌</span>' in first and "<td>城管局</td>" in first
    assert '<span class="text-danger fw-bold">11-20 15:00</span>' in first  # 08:00 UTC + 8 h, an hour late
    assert "<td>2026-11-20 00:30</td>" in first  # reported 16:30 UTC: past midnight in Beijing
    assert "<td>已派遣</td>" in second and "<td>—</td>\n<td>—</td>" in second
    assert 'name="ids"' not in plain and plain.count("<tr>") == 1


def test_case_list_queries_do_not_grow_with_rows(users, client_for):
    """The rows (pages and API) read only the columns they show, in the page's query: no deferred field
    or relation is fetched row by row (1 case and 6 cases cost the same queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from linli.cases.services import Intake, report_case

    def add(n):
        for i in range(n):
            intake = Intake(
                "grid", Category.objects.get(code="0403"), f"车辆乱停 {i}", lat=41.005, lng=113.105
            )
            case, _ = report_case(intake, actor=users["grid_worker"])
            workflow.act(case, "accept", actor=users["staff"])

    def queries(path):
        with CaptureQueriesContext(connection) as q:
            response = operator.get(path)
        assert response.status_code == 200 and Case.objects.latest("pk").number in response.content.decode()
        return len(q.captured_queries)

    operator = client_for("operator")  # accepted 0403 cases wait at the subdistrict
    add(1)
    before = {p: queries(p) for p in ("/cases/", "/cases/todo/", "/api/v1/cases/cases?todo=true")}
    add(5)
    Case.objects.filter(pk=Case.objects.order_by("pk").last().pk).update(
        warned="red", department=Department.objects.get()
    )
    assert {p: queries(p) for p in before} == before
