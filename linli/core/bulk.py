"""Fast inserts for imports: rows go to the database with one ``executemany`` per batch,
without building model instances (which costs more than the insert itself at 10⁵–10⁶
rows). The caller supplies values as Python objects per field; the helper converts the
few types that need it (dates, datetimes, JSON) the way the field would, and fills
every other column with the field's default (the time now for auto_now fields). Used inside the caller's transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

BATCH = 2000


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _converter(field: models.Field) -> Callable | None:
    if isinstance(field, models.DateTimeField):  # aware datetimes, as timezone.now() gives
        return _same_as_before(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        if connection.vendor == "sqlite":  # the driver's adapter, which Django registers, does the same
            return None
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.JSONField | models.DecimalField):
        return _same_as_before(lambda v: field.get_db_prep_save(v, connection))
    return None


def _same_as_before(convert: Callable) -> Callable:
    """``convert``, done once for a value that is the very object of the row before (an
    import's timestamp, or the one ``changes`` dict of its audit rows): converting it is
    most of the cost of such a column."""
    last: list = [_same_as_before, None]

    def once(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return once


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in the order of ``fields``, field names or attnames) into
    ``model``'s table; columns not named get the field's default. Returns the count."""
    meta = model._meta
    named = [_field(model, f) for f in fields]
    rest = [
        f
        for f in meta.concrete_fields
        if f not in named and not f.primary_key and not getattr(f, "db_returning", False)
    ]
    now = timezone.now()
    defaults = tuple(
        f.get_db_prep_save(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default(),
            connection,
        )
        for f in rest
    )
    convert = [(i, c) for i, c in enumerate(_converter(f) for f in named) if c is not None]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in [*named, *rest])
    marks = ", ".join(["%s"] * (len(named) + len(rest)))
    table = connection.ops.quote_name(meta.db_table)
    count = 0
    it = iter(rows)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in it:
                    copy.write_row((*(_convert(row, convert) if convert else row), *defaults))
                    count += 1
            return count
        constants = _literals(defaults)
        if constants is not None:  # the defaults written into the statement: rows go as they are
            marks = ", ".join(["%s"] * len(named) + constants)
            defaults = ()
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        while batch := list(islice(it, BATCH)):
            if convert:
                batch = [(*_convert(row, convert), *defaults) for row in batch]
            elif defaults:
                batch = [(*row, *defaults) for row in batch]
            cur.executemany(sql, batch)
            count += len(batch)
    return count


def _literals(values: Sequence) -> list[str] | None:
    """SQL literals for the default values (SQLite), or None where one is not a plain
    number, string or NULL. Only the fields' own defaults come here, never user input."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        elif isinstance(v, bool | int):
            out.append(str(int(v)))
        elif isinstance(v, str) and "\x00" not in v:
            out.append("'" + v.replace("'", "''") + "'")
        else:
            return None
    return out


@contextmanager
def large_cache() -> Iterator[None]:
    """SQLite: a page cache of ``LINLI_SQLITE_IMPORT_CACHE_MB`` for the connection inside,
    then the one it had. Inserting 10⁶ rows into indexed tables otherwise spends its time
    reading back index pages the usual cache let go (B6 at 10⁶ rows: 184 s with 64 MB,
    155 s with 1 GB). Elsewhere nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        (before,) = cur.fetchone()
        cur.execute(f"PRAGMA cache_size = {-int(settings.LINLI_SQLITE_IMPORT_CACHE_MB) * 1024}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(before)}")  # shrinking frees the pages


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off inside, and in processes forked inside (an import's
    preparing child), then as it was. An import allocates millions of tuples, lists and
    dicts that reference counting frees as they go, and each pass of the collector walks
    those alive all the same: at 10⁵ rows, 0.4–0.6 s of passes in the writing process,
    about as much in the preparing one. Cycles made inside are freed by the first pass
    after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reserve_ids(model: type[models.Model], n: int) -> Sequence[int]:
    """``n`` primary keys for rows the caller is about to insert with ``insert_rows`` (the
    key named as a field) or ``save(force_insert=True)``, so that it need not look the rows
    up again to learn them, or can write what derives from the key with the row.
    PostgreSQL: drawn from the key's sequence. SQLite: the range after both the largest key
    and the AUTOINCREMENT counter, which is moved past it; safe because an atomic block
    holds the write lock from its start (``transaction_mode`` IMMEDIATE, settings.py)."""
    if n <= 0:
        return []
    meta = model._meta
    table, pk = meta.db_table, str(meta.pk.column) if meta.pk else "id"
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [q(table), pk, n],
            )
            return [row[0] for row in cur.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("reserve_ids needs the write lock of an atomic block")
        cur.execute(
            f"SELECT MAX(COALESCE((SELECT MAX({q(pk)}) FROM {q(table)}), 0), "  # noqa: S608 - quoted names
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        (last,) = cur.fetchone()
        cur.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last + n, table])
        if not cur.rowcount:
            cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + n])
    return range(last + 1, last + n + 1)


def _convert(row: Sequence, convert: list[tuple[int, Callable]]) -> list:
    out = list(row)
    for i, c in convert:
        out[i] = c(out[i])
    return out


def select_in(sql: str, values: Sequence) -> Iterator[tuple]:
    """The rows of ``sql``, whose last words are a column (``... WHERE col``), for every
    value of ``values``: one array parameter on PostgreSQL, IN lists of 900 elsewhere.
    Plain SQL: at 10⁵ values the ORM's handling of IN lists costs more than the lookups."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(sql + " = ANY(%s)", [list(values)])
            yield from cur.fetchall()
            return
        for i in range(0, len(values), 900):
            part = values[i : i + 900]
            cur.execute(sql + f" IN ({', '.join(['%s'] * len(part))})", part)
            yield from cur.fetchall()


def update_column(model: type[models.Model], field: str, pairs: Iterable[tuple]) -> None:
    """Set ``field`` to a value per primary key: ``pairs`` of (pk, value). One UPDATE per
    batch, joined to the batch as a VALUES list: one statement, so PostgreSQL's statement
    triggers fire once a batch rather than once a row, and one round trip."""
    meta = model._meta
    target = _field(model, field)
    column, pk = str(target.column), str(meta.pk.column) if meta.pk else "id"
    q = connection.ops.quote_name
    table = q(meta.db_table)
    it = iter(pairs)
    with connection.cursor() as cur:
        while batch := list(islice(it, BATCH)):
            values = ", ".join(["(%s, %s)"] * len(batch))
            cur.execute(
                f"WITH v(pk, val) AS (VALUES {values}) "  # noqa: S608 - names quoted, values bound
                f"UPDATE {table} SET {q(column)} = CAST(v.val AS {target.db_type(connection)}) "
                f"FROM v WHERE {table}.{q(pk)} = v.pk",
                [x for pair in batch for x in pair],
            )
