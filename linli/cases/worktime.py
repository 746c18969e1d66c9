"""Working time: the Chinese official calendar (chinese-calendar: holidays and make-up
working days, 调休) and configurable office hours. Time limits of case steps are given in
working hours ("4h") or working days ("20d") and turned into a deadline here.

For years the calendar does not know (it ships a year's holidays once the State Council
publishes them, usually in November or December), weekdays are working days and
weekends are not — no holidays, no make-up days — and ``is_known_year`` says so.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

LIMIT_RE = re.compile(r"^(\d{1,3})([hd])$")


def is_known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the calendar does not know: weekends only
        return day.weekday() < 5


def _periods() -> list[tuple[dt.time, dt.time]]:
    """Office hours of a working day, e.g. [(08:30, 12:00), (13:30, 17:30)]."""
    out = []
    for part in settings.LINLI_WORK_HOURS.split(","):
        start, _sep, end = part.strip().partition("-")
        out.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return out


def parse_limit(text: str) -> tuple[int, str]:
    """'4h' → (4, 'h') working hours; '20d' → (20, 'd') working days."""
    m = LIMIT_RE.match((text or "").strip().lower())
    if not m or int(m.group(1)) == 0:
        raise ValidationError(_("时限应写成“4h”（工作小时）或“20d”（工作日）。"))
    return int(m.group(1)), m.group(2)


def validate_limit(text: str) -> None:
    if text:
        parse_limit(text)


def deadline(start: dt.datetime, limit: str) -> dt.datetime:
    """The moment ``limit`` of working time after ``start`` (an aware datetime)."""
    amount, unit = parse_limit(limit)
    local = timezone.localtime(start)
    if unit == "d":
        # N working days: the end of office hours on the Nth working day after today
        day, left = local.date(), amount
        while left:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                left -= 1
        end = _periods()[-1][1]
        return timezone.make_aware(dt.datetime.combine(day, end))
    return add_working_seconds(local, amount * 3600)


def add_working_seconds(start: dt.datetime, seconds: float) -> dt.datetime:
    tz = timezone.get_current_timezone()
    moment = timezone.localtime(start).replace(tzinfo=None)
    day = moment.date()
    for _i in range(3660):  # at most ten years of days
        if is_working_day(day):
            for begin, end in _periods():
                a = max(moment, dt.datetime.combine(day, begin))
                b = dt.datetime.combine(day, end)
                if a >= b:
                    continue
                span = (b - a).total_seconds()
                if seconds <= span:
                    return timezone.make_aware(a + dt.timedelta(seconds=seconds), tz)
                seconds -= span
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min)
    raise ValueError("time limit too long")


def working_seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working time from ``start`` to ``end`` (0 when end is earlier)."""
    a = timezone.localtime(start).replace(tzinfo=None)
    b = timezone.localtime(end).replace(tzinfo=None)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if is_working_day(day):
            for begin, finish in _periods():
                lo = max(a, dt.datetime.combine(day, begin))
                hi = min(b, dt.datetime.combine(day, finish))
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return total
