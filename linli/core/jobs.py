"""Background jobs: large imports run outside the request, with a progress bar the user
can watch, leave and come back to.

An app registers a ``Runner`` per kind of job. ``start`` keeps the uploaded file on disk
(owner-only, deleted once the job ran), records a ``Job`` and enqueues ``run_job`` with
Django's tasks API (django-tasks; the database backend's ``linli db_worker`` runs it,
tests use the immediate backend). The runner's progress callback writes to the
"progress" cache, outside the job's own transaction, so other processes can read it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import audit
from .errors import ServiceError
from .models import Job


@dataclass(frozen=True)
class Runner:
    """``run(data, filename, actor=, progress=)`` returns a dict of counts or raises
    ServiceError (with ``errors`` of row/column/message); ``summary(result)`` says it in
    a sentence; ``report(data, filename, errors)`` writes the file with an error column
    and returns its id."""

    run: Callable[..., dict]
    summary: Callable[[dict], str]
    report: Callable[[bytes, str, list[dict]], str] | None = None


RUNNERS: dict[str, Runner] = {}
KEEP_ERRORS = 1000  # errors shown on the job's page; the report file has them all


def register(kind: str, runner: Runner) -> None:
    RUNNERS[kind] = runner


def _upload_path(job_id: int) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "jobs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{job_id}.upload"


def start(kind: str, data: bytes, filename: str, *, actor, total: int = 0) -> Job:
    """Record the job and queue it once the surrounding transaction commits."""
    if kind not in RUNNERS:
        raise KeyError(kind)
    job = Job.objects.create(
        kind=kind, owner=actor, filename=filename[:200], total=total, ip=audit.current_ip.get()
    )
    fd = os.open(_upload_path(job.pk), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


def progress(job: Job) -> tuple[int, int]:
    """(rows done, rows in all) as last reported by the running job."""
    if job.status == Job.Status.DONE:
        return job.total, job.total
    done, total = caches["progress"].get(f"job:{job.pk}", (0, job.total))
    return done, total


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).first()
    if job is None:  # already run, or gone
        return
    path = _upload_path(job.pk)
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    actor = get_user_model().objects.get(pk=job.owner_id)
    runner = RUNNERS[job.kind]
    cache = caches["progress"]
    key = f"job:{job.pk}"

    def report_progress(done: int, total: int) -> None:
        cache.set(key, (done, total), timeout=86400)

    token = audit.current_ip.set(job.ip)
    try:
        data = path.read_bytes()
        try:
            job.result = runner.run(data, job.filename, actor=actor, progress=report_progress)
            job.status, job.message = Job.Status.DONE, str(runner.summary(job.result))[:300]
        except ServiceError as exc:
            job.status, job.message = Job.Status.FAILED, str(exc.message)[:300]
            job.errors = exc.errors[:KEEP_ERRORS]
            if exc.errors and runner.report is not None:
                job.report_id = runner.report(data, job.filename, exc.errors)
    except Exception:
        job.status, job.message = Job.Status.FAILED, "internal error"
        raise
    finally:
        audit.current_ip.reset(token)
        path.unlink(missing_ok=True)
        cache.delete(key)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "result", "message", "errors", "report_id", "finished_at"])
