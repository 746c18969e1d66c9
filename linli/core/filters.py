"""List filters that figures link to, so a number and its list count the same records."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from .dates import parse_day
from .models import region_q


def list_filter(
    dates: dict[str, str] | None = None, extra: Callable | None = None, *, region_param: str = "area"
) -> Callable:
    """A Crud ``filter_function``: ``?<region_param>=<region code>`` (that node's subtree)
    and dates (``param -> lookup``, ISO dates; a bad date matches nothing)."""

    def apply(qs: QuerySet, params) -> QuerySet:
        area = params.get(region_param)
        if area:
            qs = qs.filter(region_q(area))
        for param, lookup in (dates or {}).items():
            value = params.get(param)
            if value:
                day = parse_day(value)
                if day is None:
                    return qs.none()
                qs = qs.filter(**{lookup: day})
        return extra(qs, params) if extra else qs

    return apply
