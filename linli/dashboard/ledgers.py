"""The registers a community keeps (台账), exported in their usual layout: a title row
with the community and the month, the columns the paper books have, numbered rows.
Personal identifiers are masked; every export is audited."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.cases.models import Case
from linli.core.dates import day_bounds
from linli.core.models import region_q
from linli.core.scoping import restrict
from linli.core.tabular import neutralise
from linli.people.models import GroupTag, current_tag_q
from linli.regions.models import Region
from linli.visits.models import Visit
from linli.volunteers.filters import HELD
from linli.volunteers.models import Activity

from .reports import month_period

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Ledger:
    title: StrOrPromise
    header: tuple
    rows: Callable[[object, Region, dt.date, dt.date], Iterable[list]]
    model: type
    monthly: bool = True


def _special_groups(user, node, first, last):
    today = timezone.localdate()
    tags = (
        restrict(GroupTag.objects.filter(region_q(node.code), resident__isnull=False), user, "export")
        .filter(current_tag_q(today))
        .filter(resident__archived_at__isnull=True)
        .select_related("group", "resident__housing_unit__building__compound", "grid")
        .order_by("grid_id", "group__sort", "resident_id")
    )
    for t in tags.iterator(chunk_size=1000):
        r = t.resident
        yield [
            t.grid.name if t.grid else "",
            t.group.name,
            r.name,
            r.get_gender_display(),
            r.citizen_id.masked if r.citizen_id else "",
            str(r.housing_unit),
            r.phone.masked if r.phone else "",
            t.get_care_level_display(),
            t.start_date,
            t.reason,
        ]


def _visits(user, node, first, last):
    lo, hi = day_bounds(first, last)
    visits = (
        restrict(
            Visit.objects.filter(region_q(node.code), visited_at__gte=lo, visited_at__lt=hi), user, "export"
        )
        .select_related("worker", "grid_region", "household__housing_unit__building__compound", "resident")
        .order_by("visited_at", "id")
    )
    for v in visits.iterator(chunk_size=1000):
        yield [
            timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"),
            v.grid_region.name if v.grid_region else "",
            str(v.worker),
            str(v.get_kind_display()),
            str(v.household.housing_unit) if v.household else v.place,
            v.resident.name if v.resident else v.met,
            v.findings,
            v.needs,
        ]


def _cases(user, node, first, last):
    lo, hi = day_bounds(first, last)
    cases = (
        restrict(
            Case.objects.filter(region_q(node.code), created_at__gte=lo, created_at__lt=hi), user, "export"
        )
        .select_related("category__parent", "department", "region")
        .order_by("created_at", "id")
    )
    for c in cases.iterator(chunk_size=1000):
        yield [
            c.number,
            timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M"),
            str(c.get_channel_display()),
            str(c.category),
            c.region.short_name,
            c.address,
            c.description[:200],
            str(c.get_status_display()),
            c.department.name if c.department else "",
            timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M") if c.closed_at else "",
            c.get_rating_display() if c.rating else "",
        ]


def _activities(user, node, first, last):
    lo, hi = day_bounds(first, last)
    activities = (
        restrict(
            Activity.objects.filter(
                region_q(node.code), status__in=HELD, starts_at__gte=lo, starts_at__lt=hi
            ),
            user,
            "export",
        )
        .annotate(
            people=Count(
                "signups", filter=Q(signups__checked_in_at__isnull=False) | Q(signups__hours__isnull=False)
            ),
            hours=Sum("signups__hours"),
        )
        .order_by("starts_at", "id")
    )
    for a in activities:
        yield [
            timezone.localtime(a.starts_at).strftime("%Y-%m-%d %H:%M"),
            a.title,
            a.place,
            str(a.get_kind_display()),
            a.people,
            float(a.hours or 0),
            a.summary,
        ]


LEDGERS = {
    "special-groups": Ledger(
        _("特殊人群台账"),
        (
            _("网格"),
            _("类别"),
            _("姓名"),
            _("性别"),
            _("公民身份号码"),
            _("住址"),
            _("联系电话"),
            _("关怀等级"),
            _("认定日期"),
            _("认定依据"),
        ),
        _special_groups,
        GroupTag,
        monthly=False,
    ),
    "visits": Ledger(
        _("民情日记台账"),
        (
            _("走访时间"),
            _("网格"),
            _("走访人"),
            _("方式"),
            _("走访地点"),
            _("走访对象"),
            _("发现问题"),
            _("群众诉求"),
        ),
        _visits,
        Visit,
    ),
    "cases": Ledger(
        _("民情诉求登记台账"),
        (
            _("编号"),
            _("上报时间"),
            _("来源"),
            _("类别"),
            _("所在区域"),
            _("地址"),
            _("内容摘要"),
            _("状态"),
            _("处置部门"),
            _("结案时间"),
            _("满意度"),
        ),
        _cases,
        Case,
    ),
    "activities": Ledger(
        _("志愿服务活动台账"),
        (
            _("活动时间"),
            _("活动名称"),
            _("地点"),
            _("类别"),
            _("参加人数"),
            _("服务时长(小时)"),
            _("活动小结"),
        ),
        _activities,
        Activity,
    ),
}


def write(kind: str, user, node: Region, month: dt.date) -> tuple[bytes, str, int]:
    """(xlsx bytes, file name, rows) of the register ``kind`` for ``node`` and ``month``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    ledger = LEDGERS[kind]
    period = month_period(month)
    when = f"{month:%Y年%m月}" if ledger.monthly else f"{timezone.localdate():%Y年%m月%d日}"
    title = f"{node.short_name}{ledger.title}（{when}）"
    wb = Workbook()
    ws = wb.active
    ws.title = str(ledger.title)[:31]
    width = len(ledger.header) + 1
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([str(_("序号")), *[str(h) for h in ledger.header]])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    n = 0
    for n, row in enumerate(ledger.rows(user, node, period.first, period.last), 1):
        ws.append([n, *[v if isinstance(v, int | float | dt.date) else neutralise(v) for v in row]])
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), title, n
