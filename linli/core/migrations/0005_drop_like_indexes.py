"""PostgreSQL: drop the ``varchar_pattern_ops`` indexes (``…_like``) Django's schema
editor added beside every indexed text column before ``linli.core.postgresql`` (decision
9); an installation made since has none. Nothing to do on SQLite."""

from django.db import migrations


def drop_like_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname LIKE %s AND (indexdef LIKE %s OR indexdef LIKE %s)",
            ["%\\_like", "%varchar_pattern_ops%", "%text_pattern_ops%"],
        )
        names = [name for (name,) in cur.fetchall()]
    for name in names:  # through the schema editor, as Django drops an index (sqlmigrate shows it)
        schema_editor.execute(schema_editor.sql_delete_index % {"name": schema_editor.quote_name(name)})


class Migration(migrations.Migration):
    dependencies = [("core", "0004_tally")]

    operations = [migrations.RunPython(drop_like_indexes, migrations.RunPython.noop, elidable=False)]
