"""Base models: region-scoped records and the append-only audit log."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import CODE_LENGTH, DEFAULT_POLICY

SCOPE_FIELDS = ("district", "subdistrict", "community", "grid")


def region_q(code: str) -> models.Q:
    """Records of a scoped model under the region ``code`` (the level follows from the
    code's length: 6, 9, 12 or 15 digits); nothing for a code of no level."""
    for level, length in CODE_LENGTH.items():
        if len(code) == length and code.isdigit():
            return models.Q(**{f"{level}_id": code})
    return models.Q(pk__in=[])


def scope_fk(verbose, *, db_index: bool = True, constraint: bool = True):
    """A scope column. A model that indexes it together with other columns instead
    (see ``current_scope_indexes``) declares it again with ``db_index=False``; counts
    kept by triggers (``Tally``) have no constraint, and never stop a region's removal."""
    return models.ForeignKey(
        "regions.Region",
        verbose_name=verbose,
        on_delete=models.PROTECT if constraint else models.DO_NOTHING,
        db_constraint=constraint,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=db_index,
    )


def current_scope_indexes(prefix: str, flag: str = "archived_at") -> list[models.Index]:
    """One index per scope column together with ``flag``: "the current records of this
    region" (every list and count) is then answered from the index alone, and the plain
    scope filter still uses the index's first column."""
    return [models.Index(fields=[s, flag], name=f"{prefix}_{s}_current") for s in SCOPE_FIELDS]


class ScopedModel(models.Model):
    """A record that belongs somewhere in the region tree.

    It carries its district, subdistrict, community and grid as indexed columns,
    filled on save from ``scope_region()`` (its most specific region), so scoping
    is an equality filter and counts by level are a GROUP BY.
    """

    district = scope_fk(_("区"))
    subdistrict = scope_fk(_("街道"))
    community = scope_fk(_("社区"))
    grid = scope_fk(_("网格"))

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # action -> roles allowed; see core.roles.DEFAULT_POLICY
    scope_policy: ClassVar[dict[str, frozenset]] = DEFAULT_POLICY
    # actions a system administrator may take on it anywhere (configuration data)
    sysadmin_actions: ClassVar[frozenset[str]] = frozenset()
    # fields written to the audit log on change (default: all concrete editable fields)
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")

    class Meta:
        abstract = True

    def scope_region(self):
        """The most specific region this record belongs to."""
        raise NotImplementedError

    def fill_scope(self) -> None:
        region = self.scope_region()
        for name in SCOPE_FIELDS:
            setattr(self, f"{name}_id", getattr(region, f"{name}_id") if region else None)

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        # a save of some columns, none of them a scope column, writes none of what
        # fill_scope sets: it need not load the region to fill them from
        if fields is None or any(f.removesuffix("_id") in SCOPE_FIELDS for f in fields):
            self.fill_scope()
        super().save(*args, **kwargs)

    @classmethod
    def department_q(cls, department) -> models.Q | None:
        """What a handler of ``department`` may see of this model (None: nothing)."""
        return None


class AuditAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    REVEAL = "reveal", _("查看明文")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    TOKEN_CREATE = "token_create", _("创建令牌")
    TOKEN_REVOKE = "token_revoke", _("吊销令牌")


class AppendOnlyError(Exception):
    pass


class AuditEntry(models.Model):
    """One line of the append-only audit log. The database refuses UPDATE and DELETE."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    action = models.CharField(_("动作"), max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


class Job(models.Model):
    """A piece of work run in the background for a user (a large import): its state is
    here, its progress in the "progress" cache, the uploaded file on disk until it ran."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=50)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.CASCADE)
    filename = models.CharField(_("文件"), max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    report_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Tally(models.Model):
    """A count kept by the database's triggers (``core.tally``): the rows of one measure
    with one value under one region (its most specific scope column)."""

    measure = models.CharField(max_length=40)
    value = models.CharField(max_length=40)
    region = models.CharField(max_length=15)
    district = scope_fk(_("区"), db_index=False, constraint=False)
    subdistrict = scope_fk(_("街道"), db_index=False, constraint=False)
    community = scope_fk(_("社区"), db_index=False, constraint=False)
    grid = scope_fk(_("网格"), db_index=False, constraint=False)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["measure", "value", "region"], name="tally_key")]

    def __str__(self) -> str:
        return f"{self.measure} {self.value} {self.region}: {self.n}"
