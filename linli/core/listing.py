"""Lists at district scale: bounded counts, pages fetched by key, cells rendered fast.

A list page of a million residents must cost about what its fifty rows cost. So the
paginator counts only up to a limit, a deep page reads its keys from the index before
joining anything, and a list whose columns can all be read as values never builds model
instances: related columns are shown from the few related fields they need (``Label``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, cast

from django.core.paginator import Paginator
from django.db import models
from django.db.models.query import ModelIterable
from django.template import Context
from django.template.base import render_value_in_context
from django.utils import formats
from django.utils.dateformat import re_escaped, re_formatchars
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .pii import Secret

# Lists count at most this many rows: an exact COUNT(*) over a district's million
# residents costs more than the page itself. Beyond it the list says "10,000+".
COUNT_LIMIT = 10_000


class BoundedPaginator(Paginator):
    """Pages that count at most ``COUNT_LIMIT`` rows. ``rows``, if given, turns a page's
    queryset into what the page shows (``values_list("pk", ...)``: rows that begin with
    their key); the count and the keys still come from the plain query."""

    def __init__(self, object_list, per_page, rows: Callable[[models.QuerySet], Any] | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows

    @cached_property
    def count(self) -> int:
        queryset = cast(models.QuerySet, self.object_list)
        return queryset.order_by()[: COUNT_LIMIT + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_LIMIT

    def page(self, number):
        """The page's keys first, from the index alone, then only those rows with their
        joins: an OFFSET into the full joined query would join every skipped row."""
        page = super().page(number)
        queryset = page.object_list
        if not isinstance(queryset, models.QuerySet):
            return page
        shown = self.rows or (lambda qs: qs)
        key = _row_key(queryset, given_rows=self.rows is not None)
        if key is not None and queryset.query.low_mark:
            keys = list(queryset.values_list("pk", flat=True))
            # shown rows are read by key alone: the list's conditions chose the keys already
            # (a search's among them), and joins they need are the shown fields' own
            rows = self.object_list if self.rows is None else self.object_list.model._base_manager.all()
            by_key = {key(row): row for row in shown(rows.filter(pk__in=keys))}
            page.object_list = [by_key[k] for k in keys if k in by_key]
        else:
            page.object_list = shown(queryset)
        return page


def _row_key(queryset: models.QuerySet, *, given_rows: bool) -> Callable[[Any], Any] | None:
    """How a page's rows give their keys: shown rows by their first field (the pk),
    model instances by pk; None for anything else (a page of it stays one query)."""
    if given_rows:
        return itemgetter(0)
    return attrgetter("pk") if queryset._iterable_class is ModelIterable else None


@dataclass(frozen=True)
class Label:
    """A related column shown from a few of the related records' fields: ``paths`` from
    the listed model (``"housing_unit__room"``), ``text`` makes the cell from their values
    in that order. A record without the relation shows an empty cell."""

    paths: tuple[str, ...]
    text: Callable[..., str]


def cell_reader(
    f: models.Field, *, plain: bool = False, get: Callable[[Any], Any] | None = None
) -> Callable[[Any], Any]:
    """A column's display value, read from a record (``get``; by default the attribute of
    a model instance): choices by label (translated once, when the reader is made),
    relations by str, secrets masked (in full only for an explicit, permitted and audited
    unmasked export). Lists and exports make one reader per column and use it for every row."""
    if f.choices:
        code = get or attrgetter(f.attname)
        labels = {value: str(label) for value, label in f.flatchoices}
        return lambda obj: labels.get(code(obj), code(obj))
    value_of = get or attrgetter(f.name)

    def read(obj):
        value = value_of(obj)
        if isinstance(value, Secret):
            return value.reveal() if plain else value.masked
        return "" if value is None else value

    return read


def label_reader(label: Label, start: int) -> Callable[[Sequence], str]:
    stop = start + len(label.paths)

    def read(row):
        values = row[start:stop]
        return "" if all(v is None for v in values) else label.text(*values)

    return read


def value_plan(
    model: type[models.Model], columns: Sequence[str], labels: dict[str, Label], *, plain: bool = False
) -> tuple[list[str], list[Callable[[Sequence], Any]]] | None:
    """The fields to read with ``values_list`` (the pk first) and one reader per column
    over those rows; None when a related column has no ``Label`` (the list then reads
    model instances)."""
    paths: list[str] = ["pk"]
    readers: list[Callable[[Sequence], Any]] = []
    for name in columns:
        if name in labels:
            readers.append(label_reader(labels[name], len(paths)))
            paths.extend(labels[name].paths)
            continue
        f = cast(models.Field, model._meta.get_field(name))
        if f.is_relation:
            return None
        readers.append(cell_reader(f, plain=plain, get=itemgetter(len(paths))))
        paths.append(f.attname)
    return paths, readers


def display(obj: models.Model, name: str, *, plain: bool = False) -> Any:
    """One column of one record, as ``cell_reader`` reads it (a choice by its label, looked
    up alone: a reader translates every label of the field, once for a list's rows)."""
    f = cast(models.Field, obj._meta.get_field(name))
    if f.choices:
        return getattr(obj, f"get_{f.name}_display")()
    return cell_reader(f, plain=plain)(obj)


# The numeric parts of Django's date formats, as str.format fields of a date.
_DATE_FIELDS = {
    "Y": "{0.year:04d}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "d": "{0.day:02d}",
    "j": "{0.day}",
}


@functools.lru_cache(maxsize=32)
def date_template(fmt: str) -> str | None:
    """A Django date format ("Y年n月j日") as a ``str.format`` template, when it uses only
    numeric parts; None otherwise (month names, weekdays: Django formats those). Django's
    formatter costs 15 µs a date, a page of birth dates more than its query."""
    pieces = []
    for i, piece in enumerate(re_formatchars.split(fmt)):
        if i % 2:
            if piece not in _DATE_FIELDS:
                return None
            pieces.append(_DATE_FIELDS[piece])
        elif piece:
            text = re_escaped.sub(r"\1", piece)
            pieces.append(escape(text).replace("{", "{{").replace("}", "}}"))
    return "".join(pieces)


# A primary key no record has: reversed once per list, then swapped for each row's own.
PK_MARK = str(2**62 + 7)


def list_rows(
    records, readers: Sequence[Callable[[Any], Any]], detail_url: str, key: Callable[[Any], Any]
) -> list[SafeString]:
    """The list's table rows as HTML, each cell rendered as the template would render
    ``{{ value }}`` (local time, localized, escaped) and the first linked to the record
    (``detail_url`` holds ``PK_MARK`` where the record's key goes). Fifty rows of seven
    cells through the template engine cost more than the query."""
    context = Context()
    dates = date_template(formats.get_format("DATE_FORMAT"))

    def cell(value) -> str:
        kind = type(value)
        if kind is str:
            return escape(value)
        if kind is dt.date and dates is not None:
            return dates.format(value)
        return render_value_in_context(value, context)

    rows = []
    for record in records:
        first, *rest = [cell(read(record)) for read in readers]
        link = escape(detail_url.replace(PK_MARK, str(key(record))))
        tds = "".join(f"<td>{c}</td>" for c in rest)
        rows.append(mark_safe(f'<tr><td><a href="{link}">{first}</a></td>{tds}</tr>'))  # noqa: S308 - escaped above
    return rows
