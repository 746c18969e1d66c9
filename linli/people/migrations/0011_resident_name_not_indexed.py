"""Residents' names not indexed: they are found through their tokens (NameToken), and the
index cost every import a B-tree insert a row for nothing.

Dropping the index is all the database needs; Django's AlterField would remake the whole
table on SQLite (and so lose the tally triggers on it) to do it.
"""

from django.db import migrations, models
from django.db.models import Index


def drop_name_index(apps, schema_editor):
    model = apps.get_model("people", "Resident")
    column = model._meta.get_field("name").column
    # PostgreSQL also has the varchar_pattern_ops twin (…_like): both go
    for index in schema_editor._constraint_names(model, [column], index=True, type_=Index.suffix):
        schema_editor.execute(schema_editor._delete_index_sql(model, index))


def create_name_index(apps, schema_editor):
    model = apps.get_model("people", "Resident")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field("name")]))


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_nametoken_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_name_index, create_name_index)],
            state_operations=[
                migrations.AlterField(
                    model_name="resident",
                    name="name",
                    field=models.CharField(max_length=50, verbose_name="姓名"),
                ),
            ],
        ),
    ]
