"""The monthly report of a community or subdistrict (月报): the dashboard's figures for
the month, the children ranked, and the lists a leader goes through at the monthly
meeting — overdue cases, people the care rules say are overdue for a visit, workers
under their visit quota. Written as xlsx (openpyxl) and as a printable PDF (reportlab,
with its built-in Song typeface for Chinese, so no font file is needed)."""

from __future__ import annotations

import calendar
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.cases.models import Case
from linli.core import audit
from linli.core.errors import ErrorCode, PermissionDenied, ServiceError
from linli.core.models import AuditAction, region_q
from linli.core.roles import Level
from linli.core.scoping import Principal, may_at, restrict
from linli.core.tabular import neutralise
from linli.regions.models import Region
from linli.visits import care

from . import figures
from .measures import (
    BY_KEY,
    CASES,
    POPULATION,
    RATE,
    SECTIONS,
    VISITS,
    VOLUNTEERS,
    Measure,
    format_value,
    group_measures,
)
from .models import MonthlyReport

LEVELS = (Level.SUBDISTRICT, Level.COMMUNITY)
LIST_LIMIT = 200
RANKINGS = ("on_time_closure_rate", "satisfaction_rate", "coverage", "quota_rate", "vol_hours")


@dataclass
class Report:
    node: Region
    month: dt.date
    board: figures.Board
    generated_at: dt.datetime
    summary: list[tuple[str, list[tuple[Measure, Any]]]] = field(default_factory=list)
    ranking: tuple[list[str], list[list]] = ([], [])
    lists: list[tuple[str, list[str], list[list]]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("%(node)s %(month)s 工作月报") % {
            "node": self.node.short_name,
            "month": f"{self.month:%Y年%m月}",
        }


def month_period(month: dt.date) -> figures.Period:
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return figures.Period("custom", month, min(last, max(month, timezone.localdate())))


def build(user, node: Region, month: dt.date) -> Report:
    """The report's content, within ``user``'s scope."""
    if node.level not in LEVELS:
        raise ServiceError(ErrorCode.INVALID, _("月报按社区或街道生成。"), field="region")
    month = month.replace(day=1)
    now = timezone.now()
    period = month_period(month)
    board = figures.board(user, node, period, now=now)
    report = Report(node, month, board, now)
    for key, measures in (
        ("population", POPULATION + group_measures(board.groups)),
        ("cases", CASES),
        ("visits", VISITS),
        ("volunteers", VOLUNTEERS),
    ):
        report.summary.append((str(SECTIONS[key]), [(m, board.total.get(m.key)) for m in measures]))
    ranked = sorted(
        board.rows, key=lambda r: (-(r[1].get("on_time_closure_rate") or 0), -(r[1].get("coverage") or 0))
    )
    report.ranking = (
        [_("名次"), _("区域"), *[str(BY_KEY[k].label) for k in RANKINGS], str(BY_KEY["cases_overdue"].label)],
        [
            [
                i,
                child.short_name,
                *[format_value(BY_KEY[k], row.get(k)) for k in RANKINGS],
                row.get("cases_overdue", 0),
            ]
            for i, (child, row) in enumerate(ranked, 1)
        ],
    )
    report.lists = [
        _overdue_cases(user, node, now),
        _care_overdue(user, node),
        _under_quota(user, node, month),
    ]
    return report


def _overdue_cases(user, node, now):
    cases = (
        restrict(Case.objects.filter(region_q(node.code), due_at__lt=now), user)
        .select_related("category", "department", "region")
        .order_by("due_at")[:LIST_LIMIT]
    )
    rows = [
        [
            c.number,
            c.category.name,
            c.region.short_name,
            c.address,
            str(c.get_status_display()),
            c.department.name if c.department else "",
            timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M") if c.due_at else "",
        ]
        for c in cases
    ]
    header = [_("编号"), _("类别"), _("所在区域"), _("地址"), _("状态"), _("处置部门"), _("时限")]
    return (_("超期事件"), header, rows)


def _care_overdue(user, node):
    today = timezone.localdate()
    area = care.user_area(user) & region_q(node.code)
    items = [i for i in care.due_items(area, today=today, window=0) if i.due_on and i.due_on < today]
    names = dict(Region.objects.filter(code__in={i.grid_id for i in items}).values_list("code", "name"))
    rows = [
        [
            i.label,
            "、".join(i.groups),
            names.get(i.grid_id, i.grid_id),
            i.last_visit or "",
            i.due_on,
            i.overdue_days(today),
        ]
        for i in items[:LIST_LIMIT]
    ]
    header = [_("关怀对象"), _("类别"), _("网格"), _("上次走访"), _("应访日期"), _("逾期天数")]
    return (_("逾期未走访的关怀对象"), header, rows)


def _under_quota(user, node, month):
    rows = [
        [str(p.user), p.post.region.short_name, p.households, p.quota]
        for p in care.progress(user, month, area=region_q(node.code))
        if p.households < p.quota
    ]
    header = [_("人员"), _("岗位区域"), _("本月走访户数"), _("任务户数")]
    return (_("民情日记未达标人员"), header, rows[:LIST_LIMIT])


# --- writers ----------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("指标")
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("生成时间"), timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")])
    for section, items in report.summary:
        ws.append([])
        ws.append([section])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for m, value in items:
            ws.append([str(m.label), float(value) if value is not None else None])
            if m.kind == RATE:
                ws.cell(ws.max_row, 2).number_format = "0.0%"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 14
    sheets = [(_("排名"), *report.ranking), *[(title, header, rows) for title, header, rows in report.lists]]
    for title, header, rows in sheets:
        sheet = wb.create_sheet(str(title)[:31])
        sheet.append([neutralise(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([v if isinstance(v, int | float | dt.date) else neutralise(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def table(header, rows):
        data = [[Paragraph(str(h), body) for h in header]]
        data += [[Paragraph(str(v), body) for v in r] for r in rows] or [
            [Paragraph(_("无"), body)] + [""] * (len(header) - 1)
        ]
        t = Table(data, repeatRows=1)
        t.setStyle(style)
        return t

    story = [
        Paragraph(report.title, h1),
        Paragraph(
            _("生成时间：%(t)s") % {"t": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")},
            body,
        ),
    ]
    for section, items in report.summary:
        story += [Paragraph(section, h2)]
        pairs = [items[i : i + 3] for i in range(0, len(items), 3)]
        rows = [[x for m, value in chunk for x in (str(m.label), format_value(m, value))] for chunk in pairs]
        width = max(len(r) for r in rows) if rows else 0
        story.append(table([""] * width, [r + [""] * (width - len(r)) for r in rows]))
    story += [Paragraph(_("排名"), h2), table(*report.ranking)]
    for title, header, rows in report.lists:
        story += [Paragraph(str(title), h2), table(header, rows)]
    story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, title=report.title)
    doc.build(story)
    return out.getvalue()


WRITERS = {"xlsx": to_xlsx, "pdf": to_pdf}


def do_generate_report(node: Region, month: dt.date, fmt: str, *, actor) -> MonthlyReport:
    """Build the month's report of ``node`` in ``fmt`` and keep it (replacing an earlier
    one). ``actor`` is who asked (None: the schedule). The figures are the node's whole
    subtree (as its own post sees it), the same whoever asks, since only those who may
    see all of it may generate it."""
    if actor is not None and not may_at(actor, MonthlyReport, "add", node):
        raise PermissionDenied()
    if fmt not in WRITERS:
        raise ServiceError(ErrorCode.INVALID, _("格式应为 xlsx 或 pdf。"), field="format")
    content = WRITERS[fmt](build(Principal(node), node, month))
    with transaction.atomic():
        report, created = MonthlyReport.objects.update_or_create(
            region=node,
            month=month.replace(day=1),
            format=fmt,
            defaults={
                "content": content,
                "size": len(content),
                "generated_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        audit.record(
            AuditAction.CREATE if created else AuditAction.UPDATE,
            report,
            actor=actor,
            actor_name="schedule",
            changes={"month": f"{report.month:%Y-%m}", "format": fmt, "size": len(content)},
        )
    return report


def record_download(report: MonthlyReport, *, actor) -> None:
    audit.record(AuditAction.EXPORT, report, actor=actor)
