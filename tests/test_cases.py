"""Cases: working time on the official calendar, intake, the whole workflow loop with
escalation and dispatch, who may do what, bad input, idempotency, duplicates, inbox."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from linli.accounts.models import Department
from linli.cases import notify, workflow, worktime
from linli.cases.models import Case, CaseEvent, Category, Channel, Notification, Status
from linli.cases.services import Intake, likely_duplicates, merge, report_case
from linli.core.errors import ServiceError
from linli.core.models import AuditEntry
from linli.core.testing import GRID_A

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


# --- working time ------------------------------------------------------------------


def test_working_days_follow_the_official_calendar():
    # National Day 2026: 1–7 October off, Saturday 10 October a make-up working day
    assert not worktime.is_working_day(dt.date(2026, 10, 5))
    assert worktime.is_working_day(dt.date(2026, 10, 10))
    # 30 September 16:00 + 3 working days → 8 (Thu), 9 (Fri), 10 (Sat, 调休) October
    assert worktime.deadline(at(2026, 9, 30, 16), "3d") == at(2026, 10, 10, 17, 30)
    assert worktime.deadline(at(2026, 9, 30, 16), "4d") == at(2026, 10, 12, 17, 30)
    # 4 working hours from Friday 16:00 → 1.5 h on Friday, 2.5 h on Monday morning
    assert worktime.deadline(at(2026, 11, 20, 16), "4h") == at(2026, 11, 23, 11, 0)
    # starting in the lunch break counts from 13:30
    assert worktime.deadline(at(2026, 11, 23, 12, 30), "1h") == at(2026, 11, 23, 14, 30)
    assert worktime.working_seconds_between(at(2026, 11, 20, 16), at(2026, 11, 23, 11)) == 4 * 3600


def test_unknown_years_count_weekends_only():
    assert not worktime.is_known_year(2031)
    assert worktime.is_known_year(2026)
    assert worktime.is_working_day(dt.date(2031, 1, 1))  # New Year's Day: unknown, so a weekday counts
    assert not worktime.is_working_day(dt.date(2031, 1, 4))  # a Saturday


@pytest.mark.parametrize("bad", ["", "4", "4x", "0d", "h4", "1234d"])
def test_limits_must_be_hours_or_days(bad):
    with pytest.raises(Exception, match="时限"):
        worktime.parse_limit(bad)


# --- intake ------------------------------------------------------------------------


def sub(code="1101"):
    return Category.objects.get(code=code)


def intake(**kw):
    values = {
        "channel": Channel.GRID,
        "category": sub(),
        "description": "楼上深夜噪音",
        "lat": 41.005,
        "lng": 113.105,
    }
    values.update(kw)
    return Intake(**values)


def test_default_taxonomy_is_two_levels_with_limits(db):
    parents = Category.objects.filter(parent__isnull=True)
    assert {"市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "邻里纠纷", "物业管理"} <= set(
        parents.values_list("name", flat=True)
    )
    for c in Category.objects.filter(parent__isnull=False):
        for limit in (c.accept_limit, c.handle_limit, c.verify_limit):
            worktime.parse_limit(limit)


def test_intake_places_the_case_in_its_grid(users):
    case, created = report_case(intake(), actor=users["grid_worker"])
    assert created and case.grid_id == GRID_A and case.status == Status.REPORTED
    assert case.number.startswith(timezone.localdate().strftime("%Y%m%d"))
    assert case.events.get().action == "report"
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).exists()
    # community staff of the case's community are told there is a new case
    assert Notification.objects.filter(user=users["staff"], case=case).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 30.0, "lng": 100.0}, "location"),
        ({"lat": None, "lng": None}, "location"),
        ({"description": "  "}, "description"),
        ({"category": None}, "category"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"channel": Channel.PUBLIC, "reporter_phone": ""}, "reporter_phone"),
    ],
)
def test_bad_intake_is_refused_and_changes_nothing(users, change, field):
    with pytest.raises(ServiceError) as exc:
        report_case(intake(**change), actor=users["grid_worker"])
    assert exc.value.field == field
    assert not Case.objects.exists()


def test_parent_category_and_other_scope_refused(users):
    with pytest.raises(ServiceError):
        report_case(intake(category=Category.objects.get(code="11")), actor=users["grid_worker"])
    with pytest.raises(ServiceError) as exc:  # a grid worker reporting in another community
        report_case(intake(lng=113.125), actor=users["grid_worker"])
    assert exc.value.code == "out_of_scope"
    assert not Case.objects.exists()


def test_same_idempotency_key_makes_one_case(users):
    first, created = report_case(intake(idempotency_key="k-1"), actor=users["grid_worker"])
    again, created_again = report_case(intake(idempotency_key="k-1"), actor=users["grid_worker"])
    assert created and not created_again and first.pk == again.pk
    assert Case.objects.count() == 1


# --- the loop ----------------------------------------------------------------------


def test_a_transition_writes_only_what_it_changed(users):
    """A full-row UPDATE would rewrite every index entry of the case and wake every count
    trigger: an action sets the columns it changed (and ``updated_at``), nothing else."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case, _ = report_case(intake(), actor=users["grid_worker"])
    with CaptureQueriesContext(connection) as queries:
        workflow.act(case, "accept", actor=users["staff"])
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "cases_case"')]
    assert len(updates) == 1
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "regions_region"')]
    assert set(re.findall(r'"(\w+)" = ', updates[0].split(" WHERE ")[0])) == {
        "updated_at", "status", "due_at", "accepted_at"
    }  # fmt: skip
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.accepted_at and case.due_at > case.accepted_at


class FakeSender:
    sent: list = []

    def send(self, user, text):
        FakeSender.sent.append((user.username, text))


def test_unread_count_is_the_users_unread_notifications(users):
    staff, other = users["staff"], users["operator"]
    Notification.objects.bulk_create(
        [
            Notification(user=staff, text="一"),
            Notification(user=staff, text="二"),
            Notification(user=other, text="三"),
        ]
    )
    assert (notify.unread_count(staff), notify.unread_count(other)) == (2, 1)
    Notification.objects.filter(user=staff, text="一").update(read_at=timezone.now())
    assert (notify.unread_count(staff), notify.unread_count(other)) == (1, 1)


@pytest.fixture
def fake_sender(settings):
    settings.LINLI_NOTIFY_SENDER = "tests.test_cases.FakeSender"
    FakeSender.sent = []
    return FakeSender.sent


def test_whole_loop_with_escalation_dispatch_rework_and_rating(
    users, fake_sender, django_capture_on_commit_callbacks
):
    u = users
    case, _ = report_case(intake(category=sub("0403")), actor=u["grid_worker"])  # 机动车乱停放: subdistrict
    with pytest.raises(ServiceError):  # grid workers do not accept cases
        workflow.act(case, "accept", actor=u["grid_worker"])
    case = workflow.act(case, "accept", actor=u["staff"])
    assert case.status == Status.ACCEPTED and case.level == "subdistrict" and case.due_at is not None
    # the community may not dispatch; the subdistrict escalates to the district
    with pytest.raises(ServiceError):
        workflow.act(case, "dispatch", actor=u["staff"], department=Department.objects.get())
    case = workflow.act(case, "escalate", actor=u["operator"], note="需区级协调")
    assert case.level == "district"
    with pytest.raises(ServiceError):
        workflow.act(case, "escalate", actor=u["district_op"], note="再上报")
    with django_capture_on_commit_callbacks(execute=True):
        case = workflow.act(case, "dispatch", actor=u["district_op"], department=Department.objects.get())
    assert case.status == Status.DISPATCHED
    assert ("handler", f"事件 {case.number}：派遣") in fake_sender
    assert Notification.objects.filter(user=u["handler"], case=case, read_at__isnull=True).exists()
    assert notify.unread_count(u["handler"]) == 1
    # misrouted: back to the dispatcher, then dispatched again
    case = workflow.act(case, "return", actor=u["handler"], note="不属本部门")
    assert case.status == Status.ACCEPTED and case.department is None
    case = workflow.act(case, "dispatch", actor=u["district_op"], department=Department.objects.get())
    case = workflow.act(case, "handle", actor=u["handler"], note="已拖离")
    assert case.status == Status.HANDLED
    with pytest.raises(ServiceError):  # the handler does not verify its own work
        workflow.act(case, "verify", actor=u["handler"])
    case = workflow.act(case, "rework", actor=u["grid_worker"], note="车辆仍在")
    assert case.status == Status.DISPATCHED and case.reworks == 1
    case = workflow.act(case, "handle", actor=u["handler"], note="再次处理")
    case = workflow.act(case, "verify", actor=u["grid_worker"])
    assert case.status == Status.CLOSED and case.closed_at is not None
    with pytest.raises(ServiceError):  # only the reporter rates
        workflow.act(case, "rate", actor=u["staff"], rating=5)
    with pytest.raises(ServiceError):
        workflow.act(case, "rate", actor=u["grid_worker"], rating=9)
    case = workflow.act(case, "rate", actor=u["grid_worker"], rating=4, note="还行")
    assert case.rating == 4
    with pytest.raises(ServiceError):
        workflow.act(case, "rate", actor=u["grid_worker"], rating=5)
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "report", "accept", "escalate", "dispatch", "return", "dispatch", "handle", "rework", "handle",
        "verify", "rate",
    ]  # fmt: skip
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).count() == len(actions)


def test_community_level_case_and_send_down(users):
    u = users
    case, _ = report_case(intake(), actor=u["grid_worker"])
    case = workflow.act(case, "accept", actor=u["staff"])
    assert case.level == "community"
    assert "handle" in workflow.allowed_actions(u["grid_worker"], case)
    assert workflow.allowed_actions(u["outsider"], case) == []
    case = workflow.act(case, "escalate", actor=u["staff"], note="社区解决不了")
    with pytest.raises(ServiceError):  # no longer the community's to handle
        workflow.act(case, "handle", actor=u["staff"], note="x")
    case = workflow.act(case, "send_down", actor=u["operator"], note="请社区先调解")
    assert case.level == "community"
    case = workflow.act(case, "handle", actor=u["grid_worker"], note="已调解")
    assert case.status == Status.HANDLED


def test_transitions_refused_change_nothing(users):
    u = users
    case, _ = report_case(intake(), actor=u["grid_worker"])
    for name, kw in [("handle", {"note": "x"}), ("verify", {}), ("nonsense", {}), ("reject", {})]:
        with pytest.raises(ServiceError):
            workflow.act(case, name, actor=u["staff"], **kw)
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.events.count() == 1


def test_extension_suspension_supervision_reopen(users):
    u = users
    case, _ = report_case(intake(), actor=u["grid_worker"])
    case = workflow.act(case, "accept", actor=u["staff"])
    due = case.due_at
    case = workflow.act(case, "extend_request", actor=u["staff"], note="需等物业")
    with pytest.raises(ServiceError):
        workflow.act(case, "extend_approve", actor=u["operator"], days=0)
    case = workflow.act(case, "extend_approve", actor=u["operator"], days=5)
    assert case.due_at > due
    case = workflow.act(case, "supervise", actor=u["operator"], note="抓紧办理")
    assert case.warned == "yellow"
    case = workflow.act(case, "suspend", actor=u["operator"], note="待拆迁")
    assert case.status == Status.SUSPENDED and case.due_at is None
    case = workflow.act(case, "resume", actor=u["operator"])
    case = workflow.act(case, "handle", actor=u["staff"], note="已解决")
    case = workflow.act(case, "verify", actor=u["staff"])
    case = workflow.act(case, "reopen", actor=u["staff"], note="群众反映又出现")
    assert case.status == Status.ACCEPTED and case.closed_at is None


def test_rejection_needs_a_reason(users):
    case, _ = report_case(intake(), actor=users["grid_worker"])
    with pytest.raises(ServiceError) as exc:
        workflow.act(case, "reject", actor=users["staff"])
    assert exc.value.field == "note"
    case = workflow.act(case, "reject", actor=users["staff"], note="不属于受理范围")
    assert case.status == Status.REJECTED


def test_duplicates_offered_and_merged(users):
    first, _ = report_case(intake(), actor=users["grid_worker"])
    near, _ = report_case(intake(lat=41.0055), actor=users["grid_worker"])  # ~55 m north
    far, _ = report_case(intake(lat=41.009), actor=users["grid_worker"])  # ~440 m
    other, _ = report_case(intake(category=sub("1201")), actor=users["grid_worker"])
    assert likely_duplicates(near) == [first]
    assert far not in likely_duplicates(first) and other not in likely_duplicates(first)
    with pytest.raises(ServiceError):
        merge(near, first, actor=users["grid_worker"])
    merge(near, first, actor=users["staff"])
    near.refresh_from_db()
    assert near.status == "merged" and near.merged_into == first
    assert CaseEvent.objects.filter(case=near, action="merge").exists()


def test_who_sees_a_case(users):
    from linli.core.scoping import restrict

    case, _ = report_case(intake(), actor=users["grid_worker"])

    def sees(name):
        return restrict(Case.objects.all(), users[name]).filter(pk=case.pk).exists()

    assert sees("grid_worker") and sees("staff") and sees("operator") and sees("district_op")
    assert not sees("outsider") and not sees("handler") and not sees("auditor")
    case = workflow.act(case, "accept", actor=users["staff"])
    case = workflow.act(case, "escalate", actor=users["staff"], note="x")
    with pytest.raises(ServiceError):  # a district department takes district-level cases
        workflow.act(case, "dispatch", actor=users["operator"], department=Department.objects.get())
    case = workflow.act(case, "escalate", actor=users["operator"], note="y")
    workflow.act(case, "dispatch", actor=users["district_op"], department=Department.objects.get())
    assert sees("handler")  # dispatched to the handler's department


def test_demo_cases(db):
    from linli.cases.demo import seed_cases

    assert seed_cases("150902", 40, seed=3) == 40
    assert seed_cases("150902", 40, seed=3) == 0  # the same run again adds nothing
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"reported", "accepted", "closed"} <= statuses
    for case in Case.objects.all():
        events = list(case.events.all())
        assert events[0].action == "report" and events[-1].to_status == case.status
        assert case.created_at <= timezone.now()
        assert case.closed_at is None or case.closed_at >= case.created_at


def test_supervision_cards(users):
    from django.core.management import call_command

    from linli.cases.supervision import supervise

    monday_9 = at(2026, 11, 23, 9)
    cases = []
    for due in (at(2026, 11, 20, 17), at(2026, 11, 23, 10, 30), at(2026, 11, 27, 17)):
        case, _ = report_case(intake(), actor=users["grid_worker"])
        case = workflow.act(case, "accept", actor=users["staff"])
        Case.objects.filter(pk=case.pk).update(due_at=due)
        cases.append(case)
    assert supervise(now=monday_9) == {"yellow": 1, "red": 1}
    overdue, soon, later = (Case.objects.get(pk=c.pk) for c in cases)
    assert (overdue.warned, soon.warned, later.warned) == ("red", "yellow", "")
    card = overdue.events.filter(action="supervise", actor_label="系统").get()
    assert card.at == monday_9, "the card bears the time it was decided at"
    assert Notification.objects.filter(case=overdue, user=users["staff"]).count() >= 2
    assert supervise(now=monday_9) == {"yellow": 0, "red": 0}  # no second card for the same state
    assert supervise(now=at(2026, 11, 23, 11)) == {"yellow": 0, "red": 1}  # yellow turns red
    call_command("supervise_cases")
    with pytest.raises(ValueError):  # only the system acts at a time it names
        workflow.act(later, "supervise", actor=users["staff"], note="督办", at=monday_9)


def test_department_sees_the_reporter_only_when_allowed(users):
    def dispatched(**kw):
        case, _ = report_case(
            intake(reporter_name="王先生", reporter_phone="13912345678", **kw), actor=users["grid_worker"]
        )
        case = workflow.act(case, "accept", actor=users["staff"])
        case = workflow.act(case, "escalate", actor=users["staff"], note="x")
        case = workflow.act(case, "escalate", actor=users["operator"], note="y")
        return workflow.act(case, "dispatch", actor=users["district_op"], department=Department.objects.get())

    hidden, allowed = dispatched(), dispatched(reporter_visible=True, lat=41.0058)
    assert not workflow.reporter_visible(users["handler"], hidden)
    assert workflow.reporter_visible(users["handler"], allowed)
    assert workflow.reporter_visible(users["staff"], hidden)  # the community always sees it


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite locks the whole database, not rows")
def test_an_action_locks_its_case_and_not_its_category(django_db_setup, django_db_blocker):
    """Committed data: while one action's transaction is open, its case is locked and the
    case's category is not (actions on other cases of the category do not wait for it)."""
    from django.db import OperationalError, close_old_connections, transaction

    from linli.accounts.models import User

    def nowait(sql, pk):
        try:
            with connection.cursor() as cur:
                cur.execute(f"{sql} FOR UPDATE NOWAIT", [pk])
            return True
        except OperationalError:
            return False

    with django_db_blocker.unblock():
        staff, worker = User.objects.get(username="staff"), User.objects.get(username="grid_worker")
        case, _ = report_case(intake(description="并发锁测试"), actor=worker)
        locked, release, failed = threading.Event(), threading.Event(), []

        def accept():
            try:
                with transaction.atomic():
                    workflow.act(case, "accept", actor=staff)
                    locked.set()
                    release.wait(10)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failed.append(exc)
                locked.set()
            finally:
                close_old_connections()
                connection.close()

        thread = threading.Thread(target=accept)
        thread.start()
        try:
            assert locked.wait(10) and not failed, failed
            assert nowait('SELECT 1 FROM "cases_category" WHERE "id" = %s', case.category_id)
            assert not nowait('SELECT 1 FROM "cases_case" WHERE "id" = %s', case.pk)
        finally:
            release.set()
            thread.join(10)
            Case.objects.filter(pk=case.pk).delete()
        assert not failed, failed
