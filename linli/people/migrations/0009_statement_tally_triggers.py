# PostgreSQL: the counts' row-level triggers become statement-level ones (one grouped upsert
# per statement, decision 8); SQLite's are made again as they were.
from django.db import migrations

from linli.core.tally import remade
from linli.people.tallies import MEASURES


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0008_grouptag_members_index"),
    ]

    operations = [remade(MEASURES)]
