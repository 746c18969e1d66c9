"""Monthly reports (kept, generated on demand or by the schedule) and the registers (台账)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core import audit
from linli.core.errors import PermissionDenied, ServiceError
from linli.core.htmx import render_page
from linli.core.models import AuditAction, region_q
from linli.core.scoping import access_by_pk, can, may_at, restrict
from linli.core.tabular import XLSX_TYPE
from linli.regions.models import Region
from linli.regions.nodes import node_of

from . import ledgers, reports
from .models import MonthlyReport

CONTENT_TYPES = {"xlsx": XLSX_TYPE, "pdf": "application/pdf"}


def month_of(text: str | None) -> dt.date | None:
    """The first day of ``YYYY-MM``; last month (the one a monthly meeting looks back on)
    when empty; None when malformed."""
    if not text:
        return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None


def _month_or_refuse(request, text: str | None, node) -> dt.date | HttpResponse:
    """The month asked for, or (malformed) a message and back to the reports page."""
    month = month_of(text)
    if month is None:
        messages.error(request, _("月份格式应为 YYYY-MM。"))
        return redirect(f"{reverse('dashboard:reports')}?region={node.code}")
    return month


def attachment(content: bytes, fmt: str, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp


@login_required
def reports_page(request):
    node = node_of(request)
    month = month_of(request.GET.get("month"))
    if month is None:
        messages.error(request, _("月份格式应为 YYYY-MM。"))
        month = month_of(None)
    kept = (
        restrict(MonthlyReport.objects.filter(region_q(node.code)), request.user)
        .select_related("region", "generated_by")
        .defer("content")
        .order_by("-month", "region_id", "format")[:200]
    )
    nodes = [node] if node.level in reports.LEVELS else []
    nodes += list(
        restrict(Region.objects.filter(parent=node, level__in=reports.LEVELS), request.user).order_by("code")
    )
    ctx = {
        "node": node,
        "month": month,
        "kept": kept,
        "nodes": [(n, may_at(request.user, MonthlyReport, "add", n)) for n in nodes],
        "ledgers": [(k, lg.title) for k, lg in ledgers.LEDGERS.items()]
        if can(request.user, MonthlyReport, "export")
        else [],
        "ledger_node": node if node.level in ("community", "subdistrict", "grid") else None,
    }
    return render_page(request, "dashboard/reports.html", ctx)


@login_required
@require_POST
def monthly(request):
    """Generate (again) a month's report of a community or subdistrict, then download it."""
    node = access_by_pk(Region, request.user, request.POST.get("region"))
    fmt = request.POST.get("format", "xlsx")
    month = _month_or_refuse(request, request.POST.get("month"), node)
    if isinstance(month, HttpResponse):
        return month
    try:
        report = reports.do_generate_report(node, month, fmt, actor=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return redirect(f"{reverse('dashboard:reports')}?region={node.code}")
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("已生成 %(name)s。") % {"name": report.filename})
    return redirect("dashboard:report_file", report.pk)


@login_required
def download(request, pk):
    report = access_by_pk(MonthlyReport.objects.select_related("region"), request.user, pk, "export")
    reports.record_download(report, actor=request.user)
    return attachment(bytes(report.content), report.format, report.filename)


@login_required
def ledger(request, kind):
    """A register (台账) of a node for a month, as xlsx."""
    if kind not in ledgers.LEDGERS:
        raise Http404
    node = node_of(request)
    lg = ledgers.LEDGERS[kind]
    if not can(request.user, lg.model, "export"):
        raise Http404
    month = _month_or_refuse(request, request.GET.get("month"), node)
    if isinstance(month, HttpResponse):
        return month
    content, title, n = ledgers.write(kind, request.user, node, month)
    audit.record(
        AuditAction.EXPORT,
        node,
        actor=request.user,
        changes={"ledger": kind, "month": f"{month:%Y-%m}", "rows": n},
    )
    return attachment(content, "xlsx", f"{title}.xlsx")
