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
