"""Name tokens become each pair of characters, the last character and the whole pinyin
initials, instead of each character, each pair and each prefix of the initials: about
three and a half rows a resident instead of six, and the largest part of an import's
writes. A query of one character or of leading initials reads the range of tokens that
start with it (``services._starting``).

For such a range to hold exactly those tokens, the column compares by code point, as
SQLite's does: COLLATE "C" on PostgreSQL (a database made with another locale would sort
by its language's rules). The tokens are then made again from the names. Backwards the
collation goes back and the tokens stay: the older code finds with them what it did,
but one character or initials only where they begin the name or are the whole initials.
"""

import importlib

from django.db import migrations


def c_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # the tokens are made again next: emptied first, the table is not rewritten row by row
        schema_editor.execute("DELETE FROM people_nametoken")
        schema_editor.execute('ALTER TABLE people_nametoken ALTER COLUMN token TYPE varchar(20) COLLATE "C"')


def default_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE people_nametoken ALTER COLUMN token TYPE varchar(20) COLLATE "default"'
        )


def remake_tokens(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("DELETE FROM people_nametoken")
    importlib.import_module("linli.people.migrations.0010_nametoken_key").fill(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0011_resident_name_not_indexed"),
    ]

    operations = [
        migrations.RunPython(c_collation, default_collation),
        migrations.RunPython(remake_tokens, migrations.RunPython.noop),
    ]
