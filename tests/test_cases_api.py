"""The cases API: idempotent intake, scoped lists and detail, transitions, errors in the body."""

from linli.accounts.models import Department
from linli.cases.models import Case, CaseEvent
from tests.test_api import api  # noqa: F401  (fixture)

BODY = {
    "category": "1101",
    "description": "楼上深夜噪音",
    "lat": 41.005,
    "lng": 113.105,
    "reporter_phone": "13912345678",
}


def test_intake_is_idempotent_and_errors_are_in_the_body(api):  # noqa: F811
    gw = api("grid_worker")
    first = gw.post("/api/v1/cases/cases", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201
    again = gw.post("/api/v1/cases/cases", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = gw.post("/api/v1/cases/cases", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abd")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    for change, code in [
        ({"lat": 30.0, "lng": 100.0}, "outside_district"),
        ({"category": "9999"}, "invalid"),
        ({"description": " "}, "invalid"),
    ]:
        r = gw.post("/api/v1/cases/cases", {**BODY, **change}, content_type="application/json")
        assert r.status_code == 422 and r.json()["code"] == code
    assert gw.get("/api/v1/cases/categories").status_code == 200


def test_loop_over_the_api_with_scoping(api):  # noqa: F811
    gw, staff, op, dop, handler = (
        api(n) for n in ("grid_worker", "staff", "operator", "district_op", "handler")
    )
    case = gw.post(
        "/api/v1/cases/cases", {**BODY, "category": "0403"}, content_type="application/json"
    ).json()
    url = f"/api/v1/cases/cases/{case['id']}"
    assert api("outsider").get(url).status_code == 404
    assert handler.get(url).status_code == 404
    todo = staff.get("/api/v1/cases/cases", {"todo": True}).json()["items"]
    assert [c["id"] for c in todo] == [case["id"]]
    assert "accept" in staff.get(url).json()["actions"]

    def act(client, **body):
        return client.post(url + "/actions", body, content_type="application/json")

    refused = act(gw, action="accept")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    # out of scope (another district; a department it was not dispatched to) and missing:
    # the same 404, and nothing changed
    for client, target in ((api("outsider"), url), (handler, url), (staff, "/api/v1/cases/cases/999999999")):
        answer = client.post(target + "/actions", {"action": "accept"}, content_type="application/json")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert Case.objects.get(pk=case["id"]).status == "reported"
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == 1
    assert act(staff, action="verify").json()["code"] == "invalid_transition"
    assert act(staff, action="accept").json()["status"] == "accepted"
    assert act(op, action="escalate", note="需区级").json()["level"] == "district"
    dept = Department.objects.get().pk
    assert act(dop, action="dispatch", department=dept).json()["status"] == "dispatched"
    seen = handler.get(url).json()
    assert seen["reporter_phone"] is None and seen["reporter_name"] is None  # not exposed to the department
    assert act(handler, action="handle", note="已处理").json()["status"] == "handled"
    assert act(gw, action="verify").json()["status"] == "closed"
    assert act(gw, action="rate", rating=5).json()["rating"] == 5
    events = staff.get(url).json()["events"]
    assert [e["action"] for e in events] == [
        "report",
        "accept",
        "escalate",
        "dispatch",
        "handle",
        "verify",
        "rate",
    ]
    assert staff.get(url).json()["reporter_phone"] == "139****5678"
    assert staff.get("/api/v1/cases/cases", {"status": "closed"}).json()["count"] == 1


def test_answers_show_the_case_as_it_now_is(api):  # noqa: F811
    """An intake's and an action's answer is what reading the case then gives; a
    department's handler who returns a case no longer sees it (404), and it went back."""
    gw, staff, op, dop, handler = (
        api(n) for n in ("grid_worker", "staff", "operator", "district_op", "handler")
    )
    created = gw.post("/api/v1/cases/cases", {**BODY, "category": "0403"}, content_type="application/json")
    url = f"/api/v1/cases/cases/{created.json()['id']}"
    assert [e["action"] for e in created.json()["events"]] == ["report"]
    assert created.json() == gw.get(url).json()
    accepted = staff.post(url + "/actions", {"action": "accept"}, content_type="application/json")
    assert [e["action"] for e in accepted.json()["events"]] == ["report", "accept"]
    assert accepted.json() == staff.get(url).json()
    for client, body in (
        (op, {"action": "escalate", "note": "需区级"}),
        (dop, {"action": "dispatch", "department": Department.objects.get().pk}),
    ):
        answer = client.post(url + "/actions", body, content_type="application/json")
        assert answer.status_code == 200 and answer.json() == client.get(url).json()
    returned = handler.post(
        url + "/actions", {"action": "return", "note": "非本部门职责"}, content_type="application/json"
    )
    assert returned.status_code == 404
    after = dop.get(url).json()
    assert after["status"] == "accepted" and after["events"][-1]["action"] == "return"


def test_todo_comes_most_urgent_first(api):  # noqa: F811
    """``todo=true`` lists what waits on the caller by time limit, as the to-do page does;
    the plain list stays newest first."""
    import datetime as dt

    from django.utils import timezone

    from linli.cases.models import Case

    gw, staff = api("grid_worker"), api("staff")
    ids = [
        gw.post("/api/v1/cases/cases", BODY, content_type="application/json").json()["id"] for _ in range(3)
    ]
    now = timezone.now()
    for case_id, hours in zip(ids, (5, 1, 3), strict=True):
        Case.objects.filter(pk=case_id).update(due_at=now + dt.timedelta(hours=hours))
    todo = staff.get("/api/v1/cases/cases", {"todo": True}).json()["items"]
    assert [c["id"] for c in todo] == [ids[1], ids[2], ids[0]]
    assert [c["id"] for c in staff.get("/api/v1/cases/cases").json()["items"]] == ids[::-1]


def test_bulk_actions_over_the_api(api):  # noqa: F811
    gw, staff = api("grid_worker"), api("staff")
    ids = [
        gw.post("/api/v1/cases/cases", BODY, content_type="application/json").json()["id"] for _ in range(2)
    ]
    r = staff.post(
        "/api/v1/cases/bulk-actions", {"ids": ids, "action": "accept"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json() == {"done": ids}
    again = staff.post(
        "/api/v1/cases/bulk-actions", {"ids": ids, "action": "accept"}, content_type="application/json"
    )
    body = again.json()
    assert again.status_code == 422 and body["code"] == "invalid_transition" and len(body["errors"]) == 2
    out = api("outsider").post(
        "/api/v1/cases/bulk-actions",
        {"ids": ids, "action": "escalate", "note": "x"},
        content_type="application/json",
    )
    assert out.status_code == 404 and out.json()["code"] == "not_found"
    many = staff.post(
        "/api/v1/cases/bulk-actions",
        {"ids": list(range(1, 202)), "action": "accept"},
        content_type="application/json",
    )
    assert many.status_code == 422 and many.json()["field"] == "ids"
