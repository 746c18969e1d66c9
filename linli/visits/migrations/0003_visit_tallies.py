# The visits' counts by local day and month (visits/tallies.py): triggers made and the
# counts filled from the table.
from django.db import migrations

from linli.core.tally import migration
from linli.visits.tallies import MEASURES


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_tally"),
        ("visits", "0002_covering_indexes"),
    ]

    operations = [migration(MEASURES)]
