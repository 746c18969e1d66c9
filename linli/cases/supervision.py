"""督办: yellow cards when a step's time is running short, red cards when it ran out.
Run every few minutes (`linli supervise_cases` from cron or a systemd timer)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from . import workflow, worktime
from .models import Case, Status

YELLOW_WITHIN_HOURS = 2  # working hours left before the deadline


def supervise(now=None) -> dict:
    now = now or timezone.now()
    counts = {"yellow": 0, "red": 0}
    open_cases = Case.objects.filter(
        status__in=[Status.ACCEPTED, Status.DISPATCHED, Status.HANDLED], due_at__isnull=False
    ).exclude(warned="red")
    for case in open_cases.iterator():
        assert case.due_at is not None
        if now > case.due_at:
            card, note = "red", _("已超过办理时限，红牌督办")
        elif (
            case.warned == ""
            and worktime.working_seconds_between(now, case.due_at) <= YELLOW_WITHIN_HOURS * 3600
        ):
            card, note = "yellow", _("即将超过办理时限，黄牌督办")
        else:
            continue
        workflow.act(case, "supervise", actor=None, note=note, system=True, at=now)
        counts[card] += 1
    return counts
