"""Volunteers and party members (志愿者注册, 在职党员报到, 积分制): the people, their teams
and skills (能人/才人/艺人), activities with sign-up and hours, the append-only points
ledger and the reward shop (爱心超市), tasks and small wishes (微心愿) to claim,
public-service posts (设岗定责) and commitments (承诺)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.core.models import SCOPE_FIELDS, AppendOnlyError, ScopedModel
from linli.core.pii import PersonalDataField
from linli.core.roles import DEFAULT_POLICY, REGION_ROLES, STAFF_AND_ABOVE, STAFF_ONLY
from linli.people.models import Resident
from linli.regions.models import Region

# national volunteer star levels (志愿服务记录与证明出具办法): hours for one to five stars
STAR_HOURS = (100, 300, 600, 1000, 1500)


def star_level(hours) -> int:
    return sum(1 for h in STAR_HOURS if hours >= h)


def not_grid_q():
    return {"level__in": ["district", "subdistrict", "community"]}


def _unit(verbose) -> models.ForeignKey:
    """The region a team, activity, rule, shop, task, post or commitment belongs to: a
    district, subdistrict or community (not a grid)."""
    return models.ForeignKey(
        Region, verbose_name=verbose, on_delete=models.PROTECT, related_name="+", limit_choices_to=not_grid_q
    )


class Skill(models.Model):
    """The configurable list of skills and talents (能人、才人、艺人)."""

    class Kind(models.TextChoices):
        ABLE = "able", _("能人（技能）")
        TALENT = "talent", _("才人（专长）")
        ARTIST = "artist", _("艺人（文艺）")

    name = models.CharField(_("名称"), max_length=30, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    sort = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["kind", "sort", "id"]
        verbose_name = _("技能特长")
        verbose_name_plural = _("技能特长")

    def __str__(self) -> str:
        return self.name


class Availability(models.TextChoices):
    WEEKDAY = "weekday", _("工作日白天")
    EVENING = "evening", _("工作日晚上")
    WEEKEND = "weekend", _("周末")
    HOLIDAY = "holiday", _("节假日")
    ANYTIME = "anytime", _("随时")


class Volunteer(ScopedModel):
    """A registered volunteer of a community (by staff, or by the person and then verified)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACTIVE = "active", _("已注册")
        REJECTED = "rejected", _("未通过")
        LEFT = "left", _("已退出")

    class Source(models.TextChoices):
        STAFF = "staff", _("社区登记")
        SELF = "self", _("本人申请")

    number = models.CharField(
        _("志愿者编号"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    phone = PersonalDataField(_("手机号码"), kind="mobile", unique_index=True, blank=False)
    community = models.ForeignKey(
        Region,
        verbose_name=_("注册社区"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "community"},
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("对应居民"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("住在本区的，关联居民档案"),
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("技能特长"), blank=True, related_name="+")
    talents = models.CharField(_("特长说明"), max_length=200, blank=True)
    availability = models.CharField(_("服务时间"), max_length=60, blank=True)
    consent_contact = models.BooleanField(_("同意社区联系"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.STAFF)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    verified_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # kept by the services in the transaction that writes the hours or the ledger entry
    hours = models.DecimalField(
        _("累计服务时长"), max_digits=8, decimal_places=1, default=Decimal(0), editable=False
    )
    points_balance = models.IntegerField(_("积分余额"), default=0, editable=False)
    points_earned = models.IntegerField(_("累计获得积分"), default=0, editable=False)
    last_active_on = models.DateField(_("最近服务日期"), null=True, blank=True, editable=False, db_index=True)

    scope_policy = {**DEFAULT_POLICY, "verify": STAFF_AND_ABOVE, "points": STAFF_AND_ABOVE}

    class Meta:
        ordering = ["community_id", "name", "id"]
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_balance__gte=0), name="volunteer_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        if self.resident_id:
            return self.resident.housing_unit.building.grid_region
        return self.community

    @property
    def star(self) -> int:
        return star_level(self.hours)

    @property
    def availability_labels(self) -> list[str]:
        labels = dict(Availability.choices)
        return [str(labels[a]) for a in self.availability.split(",") if a in labels]


class Team(ScopedModel):
    """A service team of a community or subdistrict (a group when it has a parent team)."""

    class Category(models.TextChoices):
        PARTY = "party", _("党员服务队")
        PATROL = "patrol", _("治安巡逻队")
        SANITATION = "sanitation", _("卫生监督队")
        CULTURE = "culture", _("群众文化队")
        ELDERLY = "elderly", _("助老服务队")
        MEDIATION = "mediation", _("矛盾调解队")
        CONVENIENCE = "convenience", _("便民服务队")
        OTHER = "other", _("其他")

    region = _unit(_("所属区域"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级队伍"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
        help_text=_("分组（小组）时选择所属队伍"),
    )
    name = models.CharField(_("名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    description = models.TextField(_("简介"), max_length=1000, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "category", "name"]
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region


class TeamMember(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("队长")
        DEPUTY = "deputy", _("副队长")
        MEMBER = "member", _("队员")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="teams"
    )
    role = models.CharField(_("职务"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        ordering = ["team_id", "role", "id"]
        verbose_name = _("队员")
        verbose_name_plural = _("队员")
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.team} · {self.volunteer}"


class Activity(ScopedModel):
    """A volunteer activity: published on the residents' page, signed up for, checked in."""

    class Kind(models.TextChoices):
        ENVIRONMENT = "environment", _("环境整治")
        ELDERLY = "elderly", _("助老助残")
        PATROL = "patrol", _("治安巡逻")
        CULTURE = "culture", _("文体活动")
        CONVENIENCE = "convenience", _("便民服务")
        PUBLICITY = "publicity", _("政策宣传")
        CIVILITY = "civility", _("文明劝导")
        EMERGENCY = "emergency", _("应急救援")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        FINISHED = "finished", _("已结束")
        CANCELLED = "cancelled", _("已取消")

    region = _unit(_("组织单位"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("服务队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    title = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("活动类型"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("活动内容"), max_length=2000, blank=True)
    place = models.CharField(_("地点"), max_length=100)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(
        _("招募人数"), validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    checkin_code = models.CharField(_("签到码"), max_length=8, blank=True, editable=False)
    summary = models.TextField(_("活动总结"), max_length=4000, blank=True, editable=False)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("志愿活动")
        verbose_name_plural = _("志愿活动")

    def __str__(self) -> str:
        return self.title

    def scope_region(self):
        return self.region

    @property
    def duration_hours(self) -> Decimal:
        seconds = (self.ends_at - self.starts_at).total_seconds()
        return Decimal(int(seconds // 1800)) / 2


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="activities/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.image.name)


class SignUp(models.Model):
    class Status(models.TextChoices):
        SIGNED = "signed", _("已报名")
        WAITING = "waiting", _("候补")
        CANCELLED = "cancelled", _("已取消")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="signups"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    signed_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长"), max_digits=4, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["activity_id", "signed_at", "id"]
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        constraints = [models.UniqueConstraint(fields=["activity", "volunteer"], name="signup_once")]

    def __str__(self) -> str:
        return f"{self.activity} · {self.volunteer}"


class PointRule(ScopedModel):
    """Points earned for a kind of service, set for a region's subtree (the nearest applies)."""

    class Trigger(models.TextChoices):
        HOUR = "hour", _("每服务1小时")
        ACTIVITY = "activity", _("每参加1次活动")
        TASK = "task", _("每完成1项任务")
        WISH = "wish", _("每实现1个微心愿")

    region = _unit(_("适用区域"))
    trigger = models.CharField(_("积分事项"), max_length=10, choices=Trigger.choices)
    activity_kind = models.CharField(
        _("活动类型"),
        max_length=12,
        choices=Activity.Kind.choices,
        blank=True,
        help_text=_("留空表示所有类型"),
    )
    points = models.PositiveSmallIntegerField(_("积分"), validators=[MaxValueValidator(1000)])

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "trigger", "activity_kind"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [
            models.UniqueConstraint(fields=["region", "trigger", "activity_kind"], name="pointrule_unique")
        ]

    def __str__(self) -> str:
        kind = f" · {self.get_activity_kind_display()}" if self.activity_kind else ""
        return f"{self.region} · {self.get_trigger_display()}{kind} · {self.points}"

    def scope_region(self):
        return self.region


class Reward(ScopedModel):
    """An item of the community's reward shop (爱心超市)."""

    region = _unit(_("所属区域"))
    name = models.CharField(_("物品"), max_length=100)
    points = models.PositiveIntegerField(_("兑换积分"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("库存"), default=0)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    active = models.BooleanField(_("上架"), default=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "points", "name"]
        verbose_name = _("爱心超市物品")
        verbose_name_plural = _("爱心超市物品")
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="reward_stock_not_negative")
        ]

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region


class Task(ScopedModel):
    """A task the community posts, or a resident's small wish (微心愿), for members to claim."""

    class Kind(models.TextChoices):
        TASK = "task", _("服务任务")
        WISH = "wish", _("微心愿")

    class Status(models.TextChoices):
        OPEN = "open", _("待认领")
        CLAIMED = "claimed", _("已认领")
        DONE = "done", _("已完成待确认")
        CONFIRMED = "confirmed", _("已确认")
        CANCELLED = "cancelled", _("已取消")

    region = _unit(_("发布单位"))
    kind = models.CharField(_("类型"), max_length=6, choices=Kind.choices, default=Kind.TASK)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("内容"), max_length=2000, blank=True)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("心愿人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("微心愿的提出人（公开时只显示姓氏）"),
    )
    party_only = models.BooleanField(_("仅限党员认领"), default=False)
    deadline = models.DateField(_("完成期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False, db_index=True
    )
    claimed_by = models.ForeignKey(
        Volunteer,
        verbose_name=_("认领人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        editable=False,
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True, editable=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    done_note = models.CharField(_("完成情况"), max_length=500, blank=True, editable=False)
    hours = models.DecimalField(
        _("服务时长"), max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True, editable=False)

    scope_policy = {**STAFF_ONLY, "confirm": STAFF_AND_ABOVE}

    class Meta:
        ordering = ["status", "-created_at", "-id"]
        verbose_name = _("任务与微心愿")
        verbose_name_plural = _("任务与微心愿")

    def __str__(self) -> str:
        return self.title

    def scope_region(self):
        return self.region

    @property
    def wisher(self) -> str:
        """The wisher as shown in public: the family name only."""
        return f"{self.resident.name[0]}**" if self.resident else ""


class PointEntry(ScopedModel):
    """One line of a person's points ledger. Never changed or deleted (the database refuses):
    a correction is a new entry that reverses the one it corrects."""

    class Kind(models.TextChoices):
        HOURS = "hours", _("服务时长")
        ACTIVITY = "activity", _("参加活动")
        TASK = "task", _("完成任务")
        WISH = "wish", _("实现微心愿")
        GRANT = "grant", _("奖励")
        REDEEM = "redeem", _("兑换")
        CORRECTION = "correction", _("更正")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="points"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("积分"))
    balance_after = models.IntegerField(_("余额"))
    reason = models.CharField(_("事由"), max_length=200)
    signup = models.ForeignKey(SignUp, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reward = models.ForeignKey(
        Reward, verbose_name=_("兑换物品"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("数量"), null=True, blank=True)
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("更正的记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
    )
    # what earned it ("signup:12:hours"): one credit per source, however often it is retried
    source_key = models.CharField(max_length=60, null=True, blank=True, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_policy = {"view": REGION_ROLES, "export": STAFF_AND_ABOVE}

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        indexes = [models.Index(fields=["volunteer", "created_at"], name="pointentry_volunteer_at")]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.points:+d} {self.reason}"

    def fill_scope(self) -> None:  # the volunteer's, without walking the tree again
        for name in SCOPE_FIELDS:
            setattr(self, f"{name}_id", getattr(self.volunteer, f"{name}_id"))

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("points entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("points entries cannot be deleted")


class PartyMember(ScopedModel):
    """A party member registered with the community where they live (在职党员到社区报到)."""

    class Kind(models.TextChoices):
        IN_SERVICE = "in_service", _("在职党员")
        NO_POST = "no_post", _("无职党员")
        RETIRED = "retired", _("离退休党员")
        FLOATING = "floating", _("流动党员")

    volunteer = models.OneToOneField(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="party_member"
    )
    kind = models.CharField(_("党员类别"), max_length=12, choices=Kind.choices, default=Kind.IN_SERVICE)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True, db_index=True)
    branch = models.CharField(_("所在党支部"), max_length=100)
    unit_contact = models.CharField(_("单位联系人"), max_length=50, blank=True)
    unit_phone = models.CharField(_("单位联系电话"), max_length=30, blank=True)
    reported_on = models.DateField(_("报到日期"))
    active = models.BooleanField(_("在册"), default=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["work_unit", "id"]
        verbose_name = _("报到党员")
        verbose_name_plural = _("报到党员")

    def __str__(self) -> str:
        return str(self.volunteer)

    def fill_scope(self) -> None:  # where the person is registered
        for name in SCOPE_FIELDS:
            setattr(self, f"{name}_id", getattr(self.volunteer, f"{name}_id"))


class ServicePost(ScopedModel):
    """A public-service post party members choose (党员设岗定责)."""

    region = _unit(_("所属区域"))
    name = models.CharField(_("岗位"), max_length=50)
    duties = models.TextField(_("岗位职责"), max_length=1000)
    slots = models.PositiveSmallIntegerField(
        _("人数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    active = models.BooleanField(_("启用"), default=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("党员服务岗")
        verbose_name_plural = _("党员服务岗")

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region


class PostHolder(models.Model):
    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="holders")
    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="posts"
    )
    since = models.DateField(_("上岗日期"))

    class Meta:
        ordering = ["post_id", "since", "id"]
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="post_holder_once")]

    def __str__(self) -> str:
        return f"{self.post} · {self.member}"


class Commitment(ScopedModel):
    """A public commitment (二级承诺): the branch's (no member) or one member's, with progress."""

    region = _unit(_("所属区域"))
    branch = models.CharField(_("党组织"), max_length=100)
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("承诺党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commitments",
        help_text=_("留空表示党组织的承诺"),
    )
    content = models.TextField(_("承诺事项"), max_length=1000)
    due_date = models.DateField(_("承诺期限"))
    progress = models.PositiveSmallIntegerField(
        _("完成进度(%)"), default=0, validators=[MaxValueValidator(100)], editable=False
    )
    public = models.BooleanField(_("公开"), default=True)

    scope_policy = STAFF_ONLY

    class Meta:
        ordering = ["region_id", "member_id", "due_date", "id"]
        verbose_name = _("承诺")
        verbose_name_plural = _("承诺")

    def __str__(self) -> str:
        who = self.member or self.branch
        return f"{who}：{self.content[:30]}"

    def scope_region(self):
        return self.region


class CommitmentUpdate(models.Model):
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    progress = models.PositiveSmallIntegerField(_("完成进度(%)"), validators=[MaxValueValidator(100)])
    note = models.CharField(_("进展情况"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["commitment_id", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.progress}% {self.note}"
