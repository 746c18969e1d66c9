# PostgreSQL: the counts' row-level triggers become statement-level ones (one grouped upsert
# per statement, decision 8); SQLite's are made again as they were.
from django.db import migrations

from linli.cases.tallies import MEASURES
from linli.core.tally import remade


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0006_case_cells"),
    ]

    operations = [remade(MEASURES)]
