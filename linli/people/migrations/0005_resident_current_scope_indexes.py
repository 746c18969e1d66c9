"""Residents' scope columns indexed together with archived_at instead of alone.

Dropping a column's index is all the database needs; Django's AlterField would remake
the whole table on SQLite (four times, for a million rows) to do it.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Index

SCOPE = ("district", "subdistrict", "community", "grid")


def drop_single_indexes(apps, schema_editor):
    model = apps.get_model("people", "Resident")
    for name in SCOPE:
        column = model._meta.get_field(name).column
        # PostgreSQL also has the varchar_pattern_ops twin (…_like): both go
        for index in schema_editor._constraint_names(model, [column], index=True, type_=Index.suffix):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))


def create_single_indexes(apps, schema_editor):
    model = apps.get_model("people", "Resident")
    for name in SCOPE:
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field(name)]))


VERBOSE = {"district": "区", "subdistrict": "街道", "community": "社区", "grid": "网格"}


def scope_column(name):
    return migrations.AlterField(
        model_name="resident",
        name=name,
        field=models.ForeignKey(
            blank=True,
            db_index=False,
            editable=False,
            null=True,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="+",
            to="regions.region",
            verbose_name=VERBOSE[name],
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_citizen_id_unique_index"),
        ("regions", "0003_region_bbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_single_indexes, create_single_indexes)],
            state_operations=[scope_column(name) for name in SCOPE],
        ),
        *(
            migrations.AddIndex(
                model_name="resident",
                index=models.Index(fields=[name, "archived_at"], name=f"resident_{name}_current"),
            )
            for name in SCOPE
        ),
    ]
