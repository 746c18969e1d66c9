from django.db import migrations

from linli.cases.tallies import CELLS
from linli.core.tally import migration


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_case_facts"),
    ]

    operations = [migration([CELLS])]
