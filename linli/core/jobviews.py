"""Pages of background jobs: mine, one job's progress (polled by htmx while it runs),
and its error report. A job is only ever shown to the person who started it."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from . import jobs, tabular
from .htmx import render_page
from .models import Job


def _mine(request, pk: int) -> Job:
    return get_object_or_404(Job, pk=pk, owner=request.user)


@login_required
def job_list(request):
    return render_page(request, "core/job_list.html", {"jobs": Job.objects.filter(owner=request.user)[:50]})


@login_required
def job_detail(request, pk: int):
    job = _mine(request, pk)
    done, total = jobs.progress(job)
    percent = int(done * 100 / total) if total else (100 if job.finished else 0)
    context = {"job": job, "done": done, "total": total, "percent": percent}
    return render_page(request, "core/job_detail.html", context, partial="core/_job_status.html")


@login_required
def job_report(request, pk: int):
    job = _mine(request, pk)
    if not job.report_id:
        raise Http404
    return tabular.error_report_response(job.report_id, Path(job.filename).stem)
