"""List filters the figures link to, so a number and its list count the same records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from linli.core.filters import list_filter

from .ledger import EARNING
from .models import Activity, PointEntry

# the ledger lines counted as points issued / redeemed (a correction counts with what it corrects)
ISSUED = Q(kind__in=EARNING) | Q(kind=PointEntry.Kind.CORRECTION, corrects__kind__in=EARNING)
REDEEMED = Q(kind=PointEntry.Kind.REDEEM) | Q(
    kind=PointEntry.Kind.CORRECTION, corrects__kind=PointEntry.Kind.REDEEM
)
HELD = (Activity.Status.PUBLISHED, Activity.Status.FINISHED)


def _volunteers(qs, params):
    days = params.get("active_days", "")
    if days.isdigit():
        qs = qs.filter(last_active_on__gte=timezone.localdate() - dt.timedelta(days=int(days)))
    return qs


def _activities(qs, params):
    return qs.filter(status__in=HELD) if params.get("held") == "1" else qs


def _entries(qs, params):
    flow = params.get("flow")
    if flow == "issued":
        return qs.filter(ISSUED)
    if flow == "redeemed":
        return qs.filter(REDEEMED)
    return qs


VOLUNTEERS = list_filter(extra=_volunteers)
ACTIVITIES = list_filter({"from": "starts_at__date__gte", "to": "starts_at__date__lte"}, _activities)
ENTRIES = list_filter({"from": "created_at__date__gte", "to": "created_at__date__lte"}, _entries)
TASKS = list_filter(
    {
        "claimed_from": "claimed_at__date__gte",
        "claimed_to": "claimed_at__date__lte",
        "confirmed_from": "confirmed_at__date__gte",
        "confirmed_to": "confirmed_at__date__lte",
    }
)
AREA = list_filter()
