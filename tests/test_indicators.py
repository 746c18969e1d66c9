"""The indicators on a hand-computed example (docs/indicators.md)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from linli.accounts.models import Department
from linli.cases import facts, workflow
from linli.cases.indicators import compute
from linli.cases.models import Case, CaseEvent, Status
from linli.cases.services import report_case
from tests.test_api import api  # noqa: F401  (fixture)
from tests.test_cases import intake, sub

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def make(users, status, events, rating=None):
    case, _ = report_case(intake(), actor=users["grid_worker"])
    Case.objects.filter(pk=case.pk).update(status=status, rating=rating)
    for action, when, on_time in events:
        e = CaseEvent.objects.create(case=case, action=action, on_time=on_time)
        CaseEvent.objects.filter(pk=e.pk).update(at=when)  # "at" is set on creation
    CaseEvent.objects.filter(case=case, action="report").update(at=at(1, 8))
    return case


def test_indicators_match_the_hand_computed_example(users, client_for, api):  # noqa: F811
    # A: accepted Mon 09:00, handled on time, closed Mon 15:00, 非常满意
    make(
        users,
        Status.CLOSED,
        [("accept", at(2, 9), True), ("handle", at(2, 11), True), ("verify", at(2, 15), True)],
        5,
    )
    # B: accepted Tue 09:00, first handling late, rework, handled again, closed Thu 10:00, 不满意
    make(
        users,
        Status.CLOSED,
        [
            ("accept", at(3, 9), True),
            ("handle", at(4, 9), False),
            ("rework", at(4, 10), None),
            ("handle", at(4, 16), True),
            ("verify", at(5, 10), True),
        ],
        2,
    )
    # C: accepted Wed, extension approved, still open
    make(users, Status.ACCEPTED, [("accept", at(4, 10), True), ("extend_approve", at(5, 9), None)])
    # D: accepted after the period; E: never accepted
    make(
        users,
        Status.CLOSED,
        [("accept", at(10, 9), True), ("handle", at(10, 10), True), ("verify", at(10, 11), True)],
    )
    make(users, Status.REPORTED, [])
    facts.rebuild(Case, CaseEvent)  # the events were written by hand, not by the workflow

    got = compute(Case.objects.all(), at(2, 0), at(9, 0), residents=20000)
    assert got.accepted == 3 and got.closed == 2
    assert got.closure_rate == 0.6667  # 2 / 3
    assert got.on_time_handling_rate == 0.5  # A on time, B's first handling late
    assert got.on_time_closure_rate == 0.5  # B had a late step
    assert got.rework_rate == 0.5  # B of the 2 handled
    assert got.extension_rate == 0.3333  # C of 3
    assert got.satisfaction_rate == 0.5 and got.rated == 2  # A (5) satisfied, B (2) not
    # A: 09:00–12:00 + 13:30–15:00 = 4.5 h; B: Tue 7 h + Wed 7.5 h + Thu 08:30–10:00 1.5 h = 16 h
    assert got.average_handling_hours == 10.25
    assert got.per_10k_residents == 1.5  # 3 × 10,000 / 20,000
    empty = compute(Case.objects.all(), at(20, 0), at(21, 0), residents=0)
    assert empty.accepted == 0 and empty.closure_rate is None and empty.per_10k_residents is None
    # the page shows them for the caller's scope
    page = client_for("staff").get("/cases/indicators/", {"from": "2026-11-02", "to": "2026-11-08"})
    assert page.status_code == 200 and 'id="indicators"' in page.content.decode()
    assert "66.67%" in page.content.decode()
    assert (
        client_for("outsider")
        .get("/cases/indicators/", {"from": "2026-11-02", "to": "2026-11-08"})
        .context["ind"]
        .accepted
        == 0
    )
    data = api("staff").get("/api/v1/cases/indicators", {"from": "2026-11-02", "to": "2026-11-08"}).json()
    assert (
        data["accepted"] == 3 and data["closure_rate"] == 0.6667 and data["average_handling_hours"] == 10.25
    )


FACTS = ("accepted_at", "handled", "handled_on_time", "late", "extended", "reworks", "handling_seconds")


def test_the_workflow_keeps_the_facts_the_log_gives(users):
    """What ``workflow.act`` records on each case as it goes equals what ``facts.rebuild``
    reads back from the event log, for cases taken along the workflow's paths."""
    u = users
    dept = Department.objects.get()
    paths = [
        [("accept", "staff", {})],
        [("accept", "staff", {}), ("handle", "staff", {"note": "好"}), ("verify", "grid_worker", {})],
        [
            ("accept", "staff", {}),
            ("handle", "staff", {"note": "好"}),
            ("rework", "grid_worker", {"note": "没修好"}),
            ("handle", "grid_worker", {"note": "再修"}),
            ("verify", "staff", {}),
            ("reopen", "staff", {"note": "又坏了"}),
            ("handle", "staff", {"note": "三修"}),
            ("verify", "staff", {}),
        ],
        [
            ("accept", "staff", {}),
            ("extend_approve", "operator", {"days": 3}),
            ("suspend", "operator", {"note": "待拆迁"}),
        ],
        [("reject", "staff", {"note": "不属受理范围"})],
    ]
    for path in paths:
        case, _ = report_case(intake(), actor=u["grid_worker"])
        for name, who, kw in path:
            if name == "handle":  # every other handling after its deadline
                late = Case.objects.filter(handled=True).count() % 2
                Case.objects.filter(pk=case.pk).update(
                    due_at=timezone.now() + dt.timedelta(hours=-1 if late else 1)
                )
            case = workflow.act(case, name, actor=u[who], **kw)
    subdistrict, _ = report_case(intake(category=sub("0403")), actor=u["grid_worker"])
    for name, who, kw in [
        ("accept", "operator", {}),
        ("escalate", "operator", {"note": "需区级协调"}),
        ("dispatch", "district_op", {"department": dept}),
        ("handle", "handler", {"note": "已拖离"}),
        ("verify", "grid_worker", {}),
    ]:
        subdistrict = workflow.act(subdistrict, name, actor=u[who], **kw)
    kept = {c["pk"]: c for c in Case.objects.values("pk", *FACTS)}
    assert {c["late"] for c in kept.values()} == {True, False}
    assert {c["handled_on_time"] for c in kept.values()} == {True, False}
    assert any(c["extended"] for c in kept.values()) and any(c["reworks"] for c in kept.values())
    assert sum(c["handling_seconds"] is not None for c in kept.values()) == 3
    Case.objects.update(
        accepted_at=None, handled=False, late=False, extended=False, reworks=0, handling_seconds=None
    )
    facts.rebuild(Case, CaseEvent)
    assert {c["pk"]: c for c in Case.objects.values("pk", *FACTS)} == kept
