"""PostgreSQL: an index per region level above the grid for the residents list, the
current residents of one region in key order, read from the index alone.

The current-scope indexes (scope, archived_at) answer counts; they cannot give the list's
key order, as PostgreSQL takes no order from the column after an ``IS NULL`` condition,
and the planner, which does not see that keys and regions go together, walked the
primary key instead: at 10^6 residents the first page of a subdistrict of 116,640 took
44 ms, page 200 of one of 194,400 418 ms. These are partial indexes on (scope, id) for the current
residents, with ``id > 0`` in their condition: only a query that says so can use them
(``models.listed``, which the list adds), so the name search, whose ``id = ANY(...)``
walks the primary key and stops at fifty, never turns to them (decision 10).

They are not in the models' state (SQLite needs none: its (scope, archived_at) indexes end
in the rowid, the key order). Built concurrently: the migration is not atomic.
"""

from django.db import migrations

LEVELS = ("district", "subdistrict", "community")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for level in LEVELS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS resident_{level}_listed "
            f"ON people_resident ({level}_id, id) WHERE archived_at IS NULL AND id > 0"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for level in LEVELS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS resident_{level}_listed")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("people", "0012_name_tokens_by_range"),
    ]

    operations = [migrations.RunPython(create, drop)]
