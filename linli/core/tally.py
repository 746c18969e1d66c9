"""Counts the database keeps itself: per region and per value of one expression over a
table's rows (a resident's residence type, a case's status, the day a case came in …),
maintained by triggers on that table, so every write path — forms, the API, imports,
bulk SQL — keeps them exact, and a district's figure is a sum over a few hundred rows
instead of a count over a million.

A ``Measure`` names the table, the value expression and the rows it counts. Its rows live
in ``core_tally`` (``Tally``): (measure, value, region) with the region's scope columns
and ``n``. ``install`` creates the triggers and fills the counts from the table (a
migration does it, and ``linli tallies --rebuild`` after a change of time zone);
``differences`` compares the counts with a fresh GROUP BY (``linli tallies``, the tests).

On PostgreSQL the triggers are statement-level: one grouped upsert per statement, from
its transition tables (a COPY of 10⁶ rows is one pass). SQLite's are row-level.

Days are local days of ``settings.TIME_ZONE``: PostgreSQL converts with the zone itself;
SQLite adds the zone's UTC offset as it is when the triggers are made (right for zones
without daylight saving time, such as China's).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum

from .roles import Role
from .scoping import scope_q, user_posts

SCOPE_COLUMNS = ("district_id", "subdistrict_id", "community_id", "grid_id")
INSERT = f"INSERT INTO core_tally (measure, value, region, {', '.join(SCOPE_COLUMNS)}, n)"
ADD = "ON CONFLICT (measure, value, region) DO UPDATE SET n = core_tally.n + excluded.n"


def local_day(vendor: str, column: str) -> str:
    """SQL for the local date of a timestamp, as 'YYYY-MM-DD'."""
    if vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE '{settings.TIME_ZONE}', 'YYYY-MM-DD')"
    offset = dt.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset() or dt.timedelta()
    return f"date({column}, '{int(offset.total_seconds() // 60):+d} minutes')"


def date_part(vendor: str, column: str, part: str) -> str:
    """SQL for a date's year ('YYYY') or month ('YYYY-MM')."""
    fmt = {"year": ("%Y", "YYYY"), "month": ("%Y-%m", "YYYY-MM")}[part]
    if vendor == "postgresql":
        return f"to_char({column}, '{fmt[1]}')"
    return f"strftime('{fmt[0]}', {column})"


def plain(column: str):
    return lambda vendor, row: f"{row}.{column}"


def day_of(column: str):
    """The value 'YYYY-MM-DD': the local day of a timestamp column."""
    return lambda vendor, row: local_day(vendor, f"{row}.{column}")


def month_of(column: str):
    """The value 'YYYY-MM': the local month of a timestamp column."""
    return lambda vendor, row: f"substr({local_day(vendor, f'{row}.{column}')}, 1, 7)"


def present(column: str):
    """Counted when the column is set."""
    return lambda row: f"{row}.{column} IS NOT NULL"


@dataclass(frozen=True)
class Measure:
    """``value(vendor, row)`` and ``where(row)`` are SQL over the row alias (NEW, OLD or
    the table); ``columns`` are those they read (an update of another column is free)."""

    name: str
    table: str
    value: object  # (vendor, row) -> SQL
    where: object  # (row) -> SQL
    columns: tuple[str, ...]

    @property
    def watched(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.columns, *SCOPE_COLUMNS)))

    def _row(self, vendor: str, row: str) -> tuple[str, str]:
        value = f"COALESCE({self.value(vendor, row)}, '')"  # type: ignore[operator]
        region = f"COALESCE({', '.join(f'{row}.{c}' for c in reversed(SCOPE_COLUMNS))}, '')"
        return value, region

    def upsert(self, vendor: str, row: str, sign: int) -> str:
        value, region = self._row(vendor, row)
        scope = ", ".join(f"{row}.{c}" for c in SCOPE_COLUMNS)
        return (
            f"{INSERT} SELECT '{self.name}', {value}, {region}, {scope}, {sign} "
            f"WHERE {self.where(row)} {ADD}"  # type: ignore[operator]
        )

    def add_counts_sql(self, vendor: str, rows: str = "1 = 1") -> str:
        """Add the counts of the table's ``rows`` (``counts_sql``) to the kept ones."""
        # the measure's own SQL and the caller's own condition, no user input
        counts = self.counts_sql(vendor, rows)
        return f"{INSERT} SELECT '{self.name}', c.* FROM ({counts}) c WHERE 1 = 1 {ADD}"  # noqa: S608

    def trigger_sql(self, vendor: str) -> tuple[list[str], list[str]]:
        """(create, drop) statements."""
        t = f"tally_{self.name.replace('.', '_')}"
        if vendor == "postgresql":
            return self._statement_triggers(t)
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in self.watched)
        return (
            [
                f"CREATE TRIGGER {t}_i AFTER INSERT ON {self.table} BEGIN {self.upsert(vendor, 'NEW', 1)}; END",
                f"CREATE TRIGGER {t}_d AFTER DELETE ON {self.table} BEGIN {self.upsert(vendor, 'OLD', -1)}; END",
                f"CREATE TRIGGER {t}_u AFTER UPDATE OF {', '.join(self.watched)} ON {self.table} "
                f"WHEN {changed} BEGIN {self.upsert(vendor, 'OLD', -1)}; {self.upsert(vendor, 'NEW', 1)}; END",
            ],
            [f"DROP TRIGGER IF EXISTS {t}_{s}" for s in "idu"],
        )

    def _statement_triggers(self, t: str) -> tuple[list[str], list[str]]:
        """PostgreSQL: one trigger per statement, reading the statement's rows from its
        transition tables, adds them up in one grouped upsert: a bulk COPY or UPDATE of
        10⁶ rows costs one pass, not 10⁶ upserts. An update counts its old rows −1 and new
        rows +1 together, so only counts that changed are written, in a fixed order (by
        value and region): transactions moving rows in opposite directions lock the
        counts in the same order. Transition tables allow one event per trigger and no
        column list, hence three triggers on one function."""

        def rows(alias: str, table: str, sign: int) -> str:
            value, region = self._row("postgresql", alias)
            scope = ", ".join(f"{alias}.{c}" for c in SCOPE_COLUMNS)
            where = self.where(alias)  # type: ignore[operator]
            return f"SELECT {value}, {region}, {scope}, {sign} FROM {table} {alias} WHERE {where}"  # noqa: S608

        def add(*parts: str) -> str:
            scope = ", ".join(f"MAX(d.{c})" for c in SCOPE_COLUMNS)
            both = " UNION ALL ".join(parts)
            return (
                f"{INSERT} SELECT '{self.name}', d.v, d.r, {scope}, SUM(d.n) "  # noqa: S608
                f"FROM ({both}) d (v, r, {', '.join(SCOPE_COLUMNS)}, n) "
                f"GROUP BY d.v, d.r HAVING SUM(d.n) <> 0 ORDER BY d.v, d.r {ADD}"
            )

        body = (
            f"BEGIN IF TG_OP = 'INSERT' THEN {add(rows('new_row', 'new_rows', 1))}; "
            f"ELSIF TG_OP = 'DELETE' THEN {add(rows('old_row', 'old_rows', -1))}; "
            f"ELSE {add(rows('old_row', 'old_rows', -1), rows('new_row', 'new_rows', 1))}; "
            "END IF; RETURN NULL; END;"
        )
        on = f"ON {self.table}"
        each = f"FOR EACH STATEMENT EXECUTE FUNCTION {t}()"
        return (
            [
                f"CREATE OR REPLACE FUNCTION {t}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$",
                f"CREATE TRIGGER {t}_i AFTER INSERT {on} REFERENCING NEW TABLE AS new_rows {each}",
                f"CREATE TRIGGER {t}_d AFTER DELETE {on} REFERENCING OLD TABLE AS old_rows {each}",
                f"CREATE TRIGGER {t}_u AFTER UPDATE {on} "
                f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {each}",
            ],
            [
                # "": the row-level trigger these replaced (migrations cases 0007, people 0009)
                *(f"DROP TRIGGER IF EXISTS {t}{s} {on}" for s in ("_i", "_d", "_u", "")),
                f"DROP FUNCTION IF EXISTS {t}()",
            ],
        )

    def counts_sql(self, vendor: str, rows: str = "1 = 1") -> str:
        """The counts from the table itself (of its ``rows``): (value, region, scope
        columns…, n)."""
        value, region = self._row(vendor, "r")
        scope = ", ".join(f"MAX(r.{c})" for c in SCOPE_COLUMNS)
        # the table and the expressions are the code's own constants, no user input
        return (
            f"SELECT {value}, {region}, {scope}, COUNT(*) FROM {self.table} r "  # noqa: S608
            f"WHERE ({self.where('r')}) AND ({rows}) GROUP BY 1, 2"  # type: ignore[operator]
        )


def by_day(name: str, table: str, column: str) -> list[Measure]:
    """Two measures of a timestamp column: ``name`` by local day and ``name.month`` by
    local month (a period is read as its whole months plus the days at either end)."""
    return [
        Measure(name, table, day_of(column), present(column), (column,)),
        Measure(f"{name}.month", table, month_of(column), present(column), (column,)),
    ]


def attach(measures, schema_editor=None) -> None:
    """(Re)create the triggers of ``measures``, leaving the counts as they are. SQLite
    loses a table's triggers when a migration rebuilds the table (most field changes do):
    such a migration wraps its operations in ``reattached(MEASURES, [...])``."""
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cur:
        for m in measures:
            create, drop = m.trigger_sql(conn.vendor)
            for sql in [*drop, *create]:
                cur.execute(sql)


def attached(measure: Measure) -> bool:
    """Every trigger of ``measure`` is in the database."""
    names = [
        sql.split()[2] for sql in measure.trigger_sql(connection.vendor)[0] if "TRIGGER" in sql.split()[1]
    ]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)", [names])
        else:
            marks = ", ".join("%s" for _n in names)
            sql = f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})"  # noqa: S608
            cur.execute(sql, names)
        return cur.fetchone()[0] == len(names)


def install(measures, schema_editor=None) -> None:
    """(Re)create the triggers of ``measures`` and fill their counts from the tables."""
    conn = schema_editor.connection if schema_editor else connection
    vendor = conn.vendor
    attach(measures, schema_editor)
    with conn.cursor() as cur:
        for m in measures:
            cur.execute("DELETE FROM core_tally WHERE measure = %s", [m.name])
            cur.execute(m.add_counts_sql(vendor))


def uninstall(measures, schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cur:
        for m in measures:
            for sql in m.trigger_sql(conn.vendor)[1]:
                cur.execute(sql)
            cur.execute("DELETE FROM core_tally WHERE measure = %s", [m.name])


@contextmanager
def deferred(model):
    """Rows of ``model`` inserted inside are counted at the end, together, instead of one
    upsert per row (an import's 10⁵ rows). SQLite only, where the import holds the only
    write lock anyway: the insert triggers are dropped inside the block's transaction and
    given back before it ends. PostgreSQL's triggers already count a whole statement (a
    COPY) at once. Inside, only insert: rows inserted there must not be updated or
    deleted there."""
    table = model._meta.db_table
    measures = [m for m in all_measures() if m.table == table]
    if connection.vendor != "sqlite" or not measures:
        yield
        return
    with transaction.atomic(), connection.cursor() as cur:
        for m in measures:
            cur.execute(m.trigger_sql("sqlite")[1][0])  # the insert trigger's DROP
        cur.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}")  # noqa: S608
        (last,) = cur.fetchone()
        yield
        for m in measures:
            cur.execute(m.add_counts_sql("sqlite", f"r.rowid > {int(last)}"))  # an integer read above
            cur.execute(m.trigger_sql("sqlite")[0][0])  # the insert trigger again


def differences(measure: Measure) -> list[tuple[str, str, int, int]]:
    """(value, region, kept, counted) wherever the kept count is not the table's."""
    from .models import Tally

    with connection.cursor() as cur:
        cur.execute(measure.counts_sql(connection.vendor))
        counted = {(r[0], r[1]): r[-1] for r in cur.fetchall()}
    kept = {
        (v, r): n
        for v, r, n in Tally.objects.filter(measure=measure.name).values_list("value", "region", "n")
    }
    return [
        (v, r, kept.get((v, r), 0), counted.get((v, r), 0))
        for v, r in sorted(set(kept) | set(counted))
        if kept.get((v, r), 0) != counted.get((v, r), 0)
    ]


def visible(user, model) -> Q | None | bool:
    """The filter on tally rows for what ``user`` may see of ``model``: None for all,
    a Q, or False when the user's view of the model is not by region alone (a department
    handler's), which the counts cannot answer (count the table then)."""
    policy = getattr(model, "scope_policy", {}).get("view", frozenset())
    if Role.DEPARTMENT_HANDLER in policy and any(p.role == Role.DEPARTMENT_HANDLER for p in user_posts(user)):
        return False
    return scope_q(user, model)


def sums(
    user,
    model,
    measure: str,
    col: str | None,
    at: dict,
    *conds: Q,
    folds: dict[str, Q] | None = None,
    **values,
) -> list[dict] | None:
    """Rows {col, fold: sum} of ``measure`` under ``at`` (scope filter), one per value of
    the children's scope column (one row without it): for each of ``folds`` (name -> a
    condition on ``value``; ``{"n": all}`` by default) the sum of the counts whose value
    passes it, added up by the database. ``conds`` and ``values`` choose the rows read;
    None when the user's view cannot be answered from the counts."""
    from .models import Tally

    q = visible(user, model)
    if q is False:
        return None
    qs = Tally.objects.filter(*conds, measure=measure, **at, **values)
    if q is not None:
        qs = qs.filter(q)
    added = {name: Sum("n", filter=cond or None) for name, cond in (folds or {"n": Q()}).items()}
    if col is None:
        return [qs.aggregate(**added)]
    return list(qs.values(col).annotate(**added).order_by())


def migration(measures):
    """The migration operation installing ``measures`` (and removing them going back)."""
    from django.db import migrations

    return migrations.RunPython(
        lambda apps, schema_editor: install(measures, schema_editor),
        lambda apps, schema_editor: uninstall(measures, schema_editor),
    )


def remade(measures):
    """The migration operation making the triggers of ``measures`` again as this code
    writes them, counts untouched (PostgreSQL's became statement-level this way)."""
    from django.db import migrations

    return migrations.RunPython(
        lambda apps, schema_editor: attach(measures, schema_editor), migrations.RunPython.noop
    )


def reattached(measures, operations: list) -> list:
    """``operations`` (a migration's) followed by giving back the triggers of ``measures``
    that a rebuilt table lost (``attach``), whichever way the migration runs."""
    from django.db import migrations

    def run(apps, schema_editor):
        attach(measures, schema_editor)

    return [migrations.RunPython(migrations.RunPython.noop, run), *operations, remade(measures)]


def all_measures() -> list[Measure]:
    """The measures of every installed app (its ``tallies.MEASURES``)."""
    from importlib import import_module, util

    from django.apps import apps

    found: list[Measure] = []
    for app in apps.get_app_configs():
        if util.find_spec(f"{app.name}.tallies") is not None:
            found.extend(import_module(f"{app.name}.tallies").MEASURES)
    return found
