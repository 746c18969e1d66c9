"""Dates from query strings, and date ranges as the aware datetimes queries compare with."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_date

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None for anything else (a malformed date is ignored, like an empty one)."""
    try:
        return parse_date(text) if DATE.match(text) else None
    except ValueError:  # 2026-13-45
        return None


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``first``, start of the day after ``last``) in the current time zone."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min), tz)
    return start, timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min), tz)


def years_ago(years: int, today: dt.date | None = None) -> dt.date:
    """The same day ``years`` years before ``today`` (28 February for 29 February): born on
    or before it, a person is at least ``years`` old."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


PERIODS = ("month", "last_month", "year", "custom")


def period(params, today: dt.date | None = None) -> tuple[str, dt.date, dt.date]:
    """(name, first day, last day) from ``?period=``: this month (default), last month,
    this year, or ``custom`` with ``start`` and ``end`` (ISO dates; either order)."""
    today = today or timezone.localdate()
    name = params.get("period", "month")
    first = today.replace(day=1)
    if name == "last_month":
        end = first - dt.timedelta(days=1)
        return name, end.replace(day=1), end
    if name == "year":
        return name, today.replace(month=1, day=1), today
    if name == "custom":
        lo, hi = parse_day(params.get("start", "") or ""), parse_day(params.get("end", "") or "")
        if lo is None or hi is None:
            return "month", first, today
        return name, min(lo, hi), max(lo, hi)
    return "month", first, today
