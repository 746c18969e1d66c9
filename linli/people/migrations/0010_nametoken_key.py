# Name tokens become only their key (token, resident): no id, no separate index, no
# foreign-key constraint, and on SQLite a table WITHOUT ROWID, one B-tree in all (see
# NameToken). An import writes nine tokens a resident; this table was the largest part of
# its writes. The table is made again and filled from the residents' names.
import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def without_rowid(apps, schema_editor):
    """SQLite: the table Django made, again WITHOUT ROWID (it is empty here)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'people_nametoken'")
        (sql,) = cur.fetchone()
        cur.execute("DROP TABLE people_nametoken")
        cur.execute(sql + " WITHOUT ROWID")


def fill(apps, schema_editor):
    from linli.people.services import name_tokens

    with schema_editor.connection.cursor() as cur:
        last = 0
        while True:
            cur.execute(
                "SELECT id, name FROM people_resident WHERE id > %s ORDER BY id LIMIT %s", [last, BATCH]
            )
            rows = cur.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            cur.executemany(
                "INSERT INTO people_nametoken (token, resident_id) VALUES (%s, %s)",
                [(t, pk) for pk, name in rows for t in name_tokens(name)],
            )


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0009_statement_tally_triggers"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, fill),  # backwards: the old table, filled
        migrations.DeleteModel(name="NameToken"),
        migrations.CreateModel(
            name="NameToken",
            fields=[
                ("pk", models.CompositePrimaryKey("token", "resident", blank=True, editable=False, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=20)),
                ("resident", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="people.resident")),
            ],
        ),
        migrations.RunPython(without_rowid, migrations.RunPython.noop),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
