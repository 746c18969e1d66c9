"""Cases (民情诉求 / 网格事件): categories with time limits, the case, its event log and
photos. The workflow that moves a case lives in ``workflow.py``, and only there."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedModel
from linli.core.pii import PersonalDataField
from linli.core.roles import DEFAULT_POLICY, REGION_ROLES, STAFF_AND_ABOVE, Role

from .worktime import validate_limit


class HandlingLevel(models.TextChoices):
    COMMUNITY = "community", _("社区")
    SUBDISTRICT = "subdistrict", _("街道")
    DISTRICT = "district", _("区")


class Category(models.Model):
    """A two-level taxonomy; a subcategory carries the default handling and the limits."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("大类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(
        _("默认处置层级"), max_length=12, choices=HandlingLevel.choices, default=HandlingLevel.COMMUNITY
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("默认处置部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    accept_limit = models.CharField(_("受理时限"), max_length=5, default="4h", validators=[validate_limit])
    handle_limit = models.CharField(_("处置时限"), max_length=5, default="5d", validators=[validate_limit])
    verify_limit = models.CharField(_("核查时限"), max_length=5, default="1d", validators=[validate_limit])
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name


class Channel(models.TextChoices):
    GRID = "grid", _("网格员上报")
    HOTLINE = "hotline", _("热线")
    WALK_IN = "walk_in", _("窗口来访")
    PUBLIC = "public", _("群众自主上报")
    API = "api", _("系统接口")


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    REJECTED = "rejected", _("不予受理")
    ACCEPTED = "accepted", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLED = "handled", _("已处置待核查")
    CLOSED = "closed", _("已结案")
    SUSPENDED = "suspended", _("挂账")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED)


class Satisfaction(models.IntegerChoices):
    """GB/T 39735-2020 five levels."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    FAIRLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


def tracking_code() -> str:
    """What a resident types to follow a case: 10 characters without look-alikes."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _i in range(10))


# the indicators of a period's cohort read the index alone (indicators.compute_by)
COHORT_INDEX = [
    *("accepted_at", "district", "subdistrict", "community", "grid", "status", "handled"),
    *("handled_on_time", "late", "extended", "reworks", "rating", "handling_seconds"),
]


class Case(ScopedModel):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    tracking_code = models.CharField(_("查询码"), max_length=10, unique=True, default=tracking_code)
    channel = models.CharField(_("来源"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT)
    description = models.TextField(_("描述"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone = PersonalDataField(_("反映人电话"), kind="mobile")
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_visible = models.BooleanField(_("允许处置部门看到反映人"), default=False)
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("涉及居民"), null=True, blank=True, on_delete=models.SET_NULL
    )
    household = models.ForeignKey(
        "people.Household", verbose_name=_("涉及户"), null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    level = models.CharField(
        _("处置层级"), max_length=12, choices=HandlingLevel.choices, default=HandlingLevel.COMMUNITY
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("处置部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    due_at = models.DateTimeField(_("本环节时限"), null=True, blank=True, db_index=True)
    warned = models.CharField(_("督办"), max_length=6, blank=True)  # "", "yellow", "red"
    reworks = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), choices=Satisfaction.choices, null=True, blank=True
    )
    rating_note = models.CharField(_("评价意见"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("上报时间"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # what the indicators read, kept by the workflow as the events are written
    # (``facts.py``; docs/indicators.md): one indexed range instead of the event log
    accepted_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    handled = models.BooleanField(_("已处置"), default=False)  # at least once
    handled_on_time = models.BooleanField(_("首次按期处置"), default=False)
    late = models.BooleanField(_("有超期环节"), default=False)  # a handle or verify step
    extended = models.BooleanField(_("已延期"), default=False)  # an extension was approved
    handling_seconds = models.PositiveIntegerField(  # accepted → the verify that closed it
        _("处置用时（工作秒）"), null=True, blank=True
    )

    scope_policy = {
        **DEFAULT_POLICY,
        "view": REGION_ROLES | {Role.DEPARTMENT_HANDLER},
        "change": REGION_ROLES | {Role.DEPARTMENT_HANDLER},
        "delete": frozenset(),
        "export": STAFF_AND_ABOVE,
    }
    audit_exclude = ("tracking_code",)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        indexes = [
            models.Index(fields=["status", "community"], name="case_status_community"),
            # a department's cases by status, and its to-do list (dispatched) in due order
            models.Index(fields=["department", "status", "due_at"], name="case_todo_department"),
            # a department's list, newest first: its own cases in id order (by the department
            # alone, PostgreSQL walked every recent case backwards, most of them no one's yet)
            models.Index(fields=["department", "id"], name="case_department_recent"),
            models.Index(fields=["lat", "lng"], name="case_point"),
            # the to-do lists of subdistrict and district operators, in due order
            models.Index(fields=["status", "level", "subdistrict", "due_at"], name="case_todo_subdistrict"),
            models.Index(fields=["status", "level", "district", "due_at"], name="case_todo_district"),
            # community staff's and grid workers' to-do lists (some statuses at any level, one
            # at community level): walked in due order and filtered in the index, without
            # reading the table (led by status, PostgreSQL walked the district's due_at index)
            models.Index(fields=["community", "due_at", "status", "level"], name="case_todo_community"),
            models.Index(fields=["grid", "due_at", "status", "level"], name="case_todo_grid"),
            # the command centre's list by status (overdue ones: 督办), newest first: a walk in
            # id order that tests the due time in the index, not past every recent case.
            # Status first: led by the district, SQLite chose it for the unfiltered list
            # too and sorted a million ids (1.9 s)
            models.Index(fields=["status", "district", "id", "due_at"], name="case_status_district"),
            models.Index(
                fields=COHORT_INDEX,
                name="case_cohort",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.category.name}"

    def scope_region(self):
        return self.region

    @classmethod
    def department_q(cls, department) -> Q | None:
        return Q(department=department)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One step of a case; the indicators are computed from these."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(_("操作人"), max_length=100, blank=True)
    action = models.CharField(_("动作"), max_length=20, db_index=True)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    level = models.CharField(max_length=12, blank=True)
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    on_time = models.BooleanField(null=True)  # for steps with a limit: finished before it ran out

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("事件记录")
        verbose_name_plural = _("事件记录")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class Photo(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="cases/%Y/%m/")
    stage = models.CharField(max_length=12, blank=True)  # reported / handled
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.image.name)


class Notification(models.Model):
    """The in-app inbox: work that reached a person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text
