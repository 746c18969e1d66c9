"""Users, departments, posts and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.core.models import ScopedModel
from linli.core.roles import DEFAULT_POLICY, ROLE_LEVEL, STAFF_AND_ABOVE, Level, Role, SystemRole


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    system_role = models.CharField(
        _("系统角色"), max_length=20, choices=SystemRole.choices, default=SystemRole.NONE, blank=True
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_sysadmin(self) -> bool:
        return self.system_role == SystemRole.SYSADMIN

    @property
    def is_auditor(self) -> bool:
        return self.system_role == SystemRole.AUDITOR


class Department(ScopedModel):
    """A functional department (职能部门) at district or subdistrict level."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所属区域"),
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"level__in": [Level.DISTRICT, Level.SUBDISTRICT]},
    )
    name = models.CharField(_("部门名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)

    scope_policy = {
        **DEFAULT_POLICY,
        "add": STAFF_AND_ABOVE - {Role.COMMUNITY_STAFF},
        "change": STAFF_AND_ABOVE - {Role.COMMUNITY_STAFF},
        "delete": STAFF_AND_ABOVE - {Role.COMMUNITY_STAFF},
        "view": DEFAULT_POLICY["view"] | {Role.DEPARTMENT_HANDLER},
    }
    sysadmin_actions = frozenset({"view", "add", "change", "delete", "export"})

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name

    def scope_region(self):
        return self.region

    @classmethod
    def department_q(cls, department):
        return Q(pk=department.pk)

    @classmethod
    def visible_to_region_q(cls, region) -> Q:
        """Departments a region's user can dispatch to: its district's and its subdistrict's."""
        q = Q(region_id=region.district_id, district_id=region.district_id)
        if region.subdistrict_id:
            q |= Q(region_id=region.subdistrict_id)
        return q


class Post(models.Model):
    """A role held by a user, at a region or in a department."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="posts")
    role = models.CharField(_("岗位角色"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.CheckConstraint(
                condition=(Q(region__isnull=False, department__isnull=True, role__in=list(ROLE_LEVEL)))
                | Q(region__isnull=True, department__isnull=False, role=Role.DEPARTMENT_HANDLER),
                name="post_region_xor_department",
            ),
            models.UniqueConstraint(fields=["user", "role", "region", "department"], name="post_unique"),
        ]

    def __str__(self) -> str:
        where = self.department if self.department_id else self.region
        return f"{where} · {self.get_role_display()}"

    @property
    def home_region(self):
        return self.department.region if self.department_id else self.region


class ApiToken(models.Model):
    """A bearer token for integrations. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
