"""Volunteer endpoints under /api/v1/volunteers/: volunteers and verification, teams,
activities with sign-up, check-in and hours, the points ledger and the reward shop,
tasks and wishes, party members' reporting, and the figures per level. Scoped and
audited like the pages; every refusal is problem-details JSON with a stable code."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.errors import ErrorCode, ServiceError
from linli.core.models import region_q
from linli.core.scoping import access_by_pk, restrict
from linli.regions.models import Region
from linli.regions.nodes import home_region

from . import ledger, party, services, stats
from .models import Activity, PartyMember, PointEntry, Reward, SignUp, Task, Team, TeamMember, Volunteer

router = Router(tags=["volunteers"])


def _region(code: str, user, field: str = "region") -> Region:
    region = restrict(Region.objects.filter(code=code), user).first()
    if region is None:
        raise ServiceError(ErrorCode.UNKNOWN_REGION, _("区域不存在或不在您的管辖范围内。"), field=field)
    return region


# --- volunteers ------------------------------------------------------------------------


class VolunteerIn(Schema):
    name: str = Field("", description="may be empty when ``resident`` is given")
    phone: str
    community: str = Field("", description="community code; default: the resident's community")
    resident: int | None = None
    skills: list[int] = []
    talents: str = ""
    availability: list[str] = Field([], description="weekday, evening, weekend, holiday, anytime")
    consent_contact: bool = False
    note: str = ""


class VolunteerOut(Schema):
    id: int
    number: str | None
    name: str
    phone: str = Field(description="masked")
    community_code: str = Field(alias="community_id")
    resident_id: int | None
    status: str
    source: str
    skills: list[str]
    availability: list[str]
    consent_contact: bool
    hours: Decimal
    star: int
    points_balance: int
    points_earned: int
    last_active_on: dt.date | None

    @staticmethod
    def resolve_phone(obj):
        return obj.phone.masked if obj.phone else ""

    @staticmethod
    def resolve_skills(obj):
        return [s.name for s in obj.skills.all()]

    @staticmethod
    def resolve_availability(obj):
        return [a for a in obj.availability.split(",") if a]


class VolunteerQuery(Schema):
    status: str | None = None
    area: str | None = Field(None, description="region code: that node's subtree")
    q: str | None = Field(None, description="name or number contains")


@router.get("/volunteers", response=list[VolunteerOut])
@paginate
def list_volunteers(request, query: Query[VolunteerQuery]):
    qs = restrict(Volunteer.objects.prefetch_related("skills"), request.auth)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.area:
        qs = qs.filter(region_q(query.area))
    if query.q:
        qs = qs.filter(name__icontains=query.q) | qs.filter(number__icontains=query.q)
    return qs


@router.post("/volunteers", response={201: VolunteerOut})
def register_volunteer(request, payload: VolunteerIn):
    """Register a volunteer (active at once, with a number: staff registration)."""
    v = Volunteer(
        name=payload.name,
        phone=payload.phone,
        resident_id=payload.resident,
        talents=payload.talents,
        availability=",".join(payload.availability),
        consent_contact=payload.consent_contact,
        note=payload.note,
    )
    if payload.resident is not None:
        access_by_pk(Volunteer._meta.get_field("resident").related_model, request.auth, payload.resident)
    else:
        v.community = services.community_in_district(payload.community)
    services.do_save_volunteer(v, actor=request.auth, skills=payload.skills)
    return Status(201, Volunteer.objects.get(pk=v.pk))


@router.get("/volunteers/{volunteer_id}", response=VolunteerOut)
def get_volunteer(request, volunteer_id: int):
    return access_by_pk(Volunteer, request.auth, volunteer_id)


class VerifyIn(Schema):
    approve: bool
    note: str = ""


@router.post("/volunteers/{volunteer_id}/verify", response=VolunteerOut)
def verify_volunteer(request, volunteer_id: int, payload: VerifyIn):
    v = access_by_pk(Volunteer, request.auth, volunteer_id, "verify")
    return services.do_verify(v, actor=request.auth, approve=payload.approve, note=payload.note)


# --- ledger -----------------------------------------------------------------------------


class EntryOut(Schema):
    id: int
    volunteer_id: int
    at: dt.datetime = Field(alias="created_at")
    kind: str
    points: int
    balance_after: int
    reason: str
    reward_id: int | None
    quantity: int | None
    corrects_id: int | None


@router.get("/volunteers/{volunteer_id}/points", response=list[EntryOut])
@paginate
def ledger_of(request, volunteer_id: int):
    """The person's ledger, newest first (``balance_after`` is the running balance)."""
    v = access_by_pk(Volunteer, request.auth, volunteer_id)
    return restrict(PointEntry.objects.filter(volunteer=v), request.auth)


class GrantIn(Schema):
    points: int
    reason: str


@router.post("/volunteers/{volunteer_id}/points", response={201: EntryOut})
def grant_points(request, volunteer_id: int, payload: GrantIn):
    v = access_by_pk(Volunteer, request.auth, volunteer_id, "points")
    return Status(201, ledger.do_grant(v, payload.points, payload.reason, actor=request.auth))


class RedeemIn(Schema):
    reward: int
    quantity: int = 1


@router.post("/volunteers/{volunteer_id}/redemptions", response={201: EntryOut})
def redeem(request, volunteer_id: int, payload: RedeemIn):
    """Spend points at the reward shop; refused with ``insufficient_points`` or
    ``out_of_stock`` (nothing changed) when the balance or the stock does not cover it."""
    v = access_by_pk(Volunteer, request.auth, volunteer_id, "points")
    reward = access_by_pk(Reward, request.auth, payload.reward)
    return Status(201, ledger.do_redeem(v, reward, payload.quantity, actor=request.auth))


class CorrectIn(Schema):
    reason: str


@router.post("/points/{entry_id}/correct", response={201: EntryOut})
def correct_entry(request, entry_id: int, payload: CorrectIn):
    entry = access_by_pk(PointEntry.objects.select_related("volunteer"), request.auth, entry_id)
    return Status(201, ledger.do_correct(entry, payload.reason, actor=request.auth))


class RewardOut(Schema):
    id: int
    region_code: str = Field(alias="region_id")
    name: str
    points: int
    stock: int
    active: bool


@router.get("/rewards", response=list[RewardOut])
@paginate
def rewards(request):
    return restrict(Reward.objects.all(), request.auth)


# --- teams ------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    region_code: str = Field(alias="region_id")
    parent_id: int | None
    name: str
    category: str
    members: int

    @staticmethod
    def resolve_members(obj):
        return obj.n_members if hasattr(obj, "n_members") else obj.members.count()


@router.get("/teams", response=list[TeamOut])
@paginate
def teams(request, area: str | None = None):
    qs = restrict(Team.objects.annotate(n_members=Count("members")), request.auth)
    return qs.filter(region_q(area)) if area else qs


class MemberIn(Schema):
    volunteer: int
    role: TeamMember.Role = TeamMember.Role.MEMBER


class MemberOut(Schema):
    id: int
    team_id: int
    volunteer_id: int
    role: str
    joined_on: dt.date


@router.post("/teams/{team_id}/members", response={201: MemberOut})
def add_member(request, team_id: int, payload: MemberIn):
    team = access_by_pk(Team, request.auth, team_id, "change")
    v = access_by_pk(Volunteer, request.auth, payload.volunteer)
    return Status(201, services.do_add_member(team, v, actor=request.auth, role=payload.role))


# --- activities -------------------------------------------------------------------------


class ActivityIn(Schema):
    region: str
    team: int | None = None
    title: str
    kind: Activity.Kind
    description: str = ""
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int


class ActivityOut(Schema):
    id: int
    region_code: str = Field(alias="region_id")
    team_id: int | None
    title: str
    kind: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    status: str
    signed: int

    @staticmethod
    def resolve_signed(obj):
        if hasattr(obj, "n_signed"):
            return obj.n_signed
        return obj.signups.filter(status=SignUp.Status.SIGNED).count()


@router.get("/activities", response=list[ActivityOut])
@paginate
def activities(request, area: str | None = None, status: str | None = None):
    signed = Count("signups", filter=Q(signups__status=SignUp.Status.SIGNED))
    qs = restrict(Activity.objects.annotate(n_signed=signed), request.auth)
    if area:
        qs = qs.filter(region_q(area))
    return qs.filter(status=status) if status else qs


@router.post("/activities", response={201: ActivityOut})
def create_activity(request, payload: ActivityIn):
    a = Activity(
        region=_region(payload.region, request.auth),
        team=access_by_pk(Team, request.auth, payload.team) if payload.team else None,
        title=payload.title,
        kind=payload.kind,
        description=payload.description,
        place=payload.place,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
    )
    return Status(201, services.do_save_activity(a, actor=request.auth))


@router.get("/activities/{activity_id}", response=ActivityOut)
def get_activity(request, activity_id: int):
    return access_by_pk(Activity, request.auth, activity_id)


@router.post("/activities/{activity_id}/publish", response=ActivityOut)
def publish_activity(request, activity_id: int):
    a = access_by_pk(Activity, request.auth, activity_id, "change")
    return services.do_publish(a, actor=request.auth)


class SignUpIn(Schema):
    volunteer: int


class SignUpOut(Schema):
    id: int
    activity_id: int
    volunteer_id: int
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    hours: Decimal | None


@router.get("/activities/{activity_id}/signups", response=list[SignUpOut])
def signups(request, activity_id: int):
    a = access_by_pk(Activity, request.auth, activity_id)
    return list(a.signups.exclude(status=SignUp.Status.CANCELLED))


@router.post("/activities/{activity_id}/signups", response={201: SignUpOut})
def sign_up(request, activity_id: int, payload: SignUpIn):
    """Sign a volunteer up; ``status`` is ``waiting`` when the activity is full."""
    a = access_by_pk(Activity, request.auth, activity_id, "change")
    v = access_by_pk(Volunteer, request.auth, payload.volunteer)
    return Status(201, services.do_sign_up(a, v, actor=request.auth))


def _signup(request, signup_id: int) -> SignUp:
    signup = SignUp.objects.select_related("activity", "volunteer").filter(pk=signup_id).first()
    if signup is None:
        raise ServiceError(ErrorCode.NOT_FOUND, _("记录不存在。"))
    access_by_pk(Activity, request.auth, signup.activity_id, "change")
    return signup


class HoursIn(Schema):
    hours: Decimal


@router.post("/signups/{signup_id}/check-in", response=SignUpOut)
def check_in(request, signup_id: int):
    return services.do_check_in(_signup(request, signup_id), actor=request.auth)


@router.post("/signups/{signup_id}/check-out", response=SignUpOut)
def check_out(request, signup_id: int):
    """Check out; the hours (and the points they earn) are recorded."""
    return services.do_check_out(_signup(request, signup_id), actor=request.auth)


@router.post("/signups/{signup_id}/hours", response=SignUpOut)
def record_hours(request, signup_id: int, payload: HoursIn):
    return services.do_record_hours(_signup(request, signup_id), payload.hours, actor=request.auth)


# --- tasks and party members ------------------------------------------------------------------


class TaskIn(Schema):
    region: str
    kind: Task.Kind = Task.Kind.TASK
    title: str
    description: str = ""
    resident: int | None = None
    party_only: bool = False
    deadline: dt.date | None = None


class TaskOut(Schema):
    id: int
    region_code: str = Field(alias="region_id")
    kind: str
    title: str
    party_only: bool
    deadline: dt.date | None
    status: str
    claimed_by_id: int | None
    hours: Decimal | None


@router.get("/tasks", response=list[TaskOut])
@paginate
def tasks(request, area: str | None = None, status: str | None = None):
    qs = restrict(Task.objects.all(), request.auth)
    if area:
        qs = qs.filter(region_q(area))
    return qs.filter(status=status) if status else qs


@router.post("/tasks", response={201: TaskOut})
def create_task(request, payload: TaskIn):
    task = Task(
        region=_region(payload.region, request.auth),
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        party_only=payload.party_only,
        deadline=payload.deadline,
    )
    if payload.resident is not None:
        task.resident = access_by_pk(
            Task._meta.get_field("resident").related_model, request.auth, payload.resident
        )
    return Status(201, party.do_save_task(task, actor=request.auth))


class ClaimIn(Schema):
    volunteer: int


@router.post("/tasks/{task_id}/claim", response=TaskOut)
def claim(request, task_id: int, payload: ClaimIn):
    """Claim for a volunteer; a task already claimed is refused (``invalid_transition``)."""
    task = access_by_pk(Task, request.auth, task_id)
    v = access_by_pk(Volunteer, request.auth, payload.volunteer)
    return party.do_claim(task, v, actor=request.auth)


class CompleteIn(Schema):
    note: str
    hours: Decimal | None = None


@router.post("/tasks/{task_id}/complete", response=TaskOut)
def complete(request, task_id: int, payload: CompleteIn):
    task = access_by_pk(Task, request.auth, task_id, "change")
    return party.do_complete(task, task.claimed_by, payload.note, payload.hours, actor=request.auth)


class ConfirmIn(Schema):
    approve: bool = True
    note: str = ""


@router.post("/tasks/{task_id}/confirm", response=TaskOut)
def confirm(request, task_id: int, payload: ConfirmIn):
    task = access_by_pk(Task, request.auth, task_id, "confirm")
    return party.do_confirm(task, actor=request.auth, approve=payload.approve, note=payload.note)


class ReportIn(Schema):
    name: str
    phone: str
    community: str = Field(description="code of the community where the member lives")
    kind: PartyMember.Kind = PartyMember.Kind.IN_SERVICE
    work_unit: str = ""
    branch: str
    unit_contact: str = ""
    unit_phone: str = ""
    reported_on: dt.date | None = None


class MemberReportOut(Schema):
    id: int
    volunteer_id: int
    kind: str
    work_unit: str
    branch: str
    reported_on: dt.date
    active: bool


@router.post("/party-members", response={201: MemberReportOut})
def report(request, payload: ReportIn):
    """A party member reports to the community where they live (报到). A community outside
    the district is refused with ``outside_district``."""
    member = PartyMember(
        kind=payload.kind,
        work_unit=payload.work_unit,
        branch=payload.branch,
        unit_contact=payload.unit_contact,
        unit_phone=payload.unit_phone,
        reported_on=payload.reported_on or timezone.localdate(),
    )
    member = party.do_report(
        member, name=payload.name, phone=payload.phone, community=payload.community, actor=request.auth
    )
    return Status(201, member)


@router.get("/party-members", response=list[MemberReportOut])
@paginate
def party_members(request, unit: str | None = None):
    qs = restrict(PartyMember.objects.all(), request.auth)
    return qs.filter(work_unit=unit) if unit else qs


# --- figures ----------------------------------------------------------------------------------


class FiguresOut(Schema):
    region_code: str
    region_name: str
    volunteers: int
    active_90: int
    party_members: int
    hours: float
    activities: int
    points_issued: int
    points_redeemed: int
    tasks_claimed: int
    tasks_done: int


class StatsOut(Schema):
    start: dt.date
    end: dt.date
    total: FiguresOut
    children: list[FiguresOut]


class StatsQuery(Schema):
    region: str | None = Field(None, description="default: the caller's highest post")
    start: dt.date | None = Field(None, description="default: the first of this month")
    end: dt.date | None = Field(None, description="default: today")


@router.get("/stats", response=StatsOut)
def figures(request, query: Query[StatsQuery]):
    """The figures of a region node and of each of its children (the same as the page)."""
    node = _region(query.region, request.auth) if query.region else home_region(request.auth)
    if node is None:
        raise ServiceError(ErrorCode.UNKNOWN_REGION, _("您没有区域岗位，请指定区域。"), field="region")
    today = timezone.localdate()
    start = query.start or today.replace(day=1)
    end = query.end or today
    total, children = stats.figures(request.auth, node, min(start, end), max(start, end))

    def out(f):
        return {"region_code": f.region.code, "region_name": f.region.name, **f.as_dict()}

    return {
        "start": min(start, end),
        "end": max(start, end),
        "total": out(total),
        "children": [out(c) for c in children],
    }
