from django.db import migrations, models

from linli.core.tally import migration
from linli.people.tallies import HOUSEHOLDS


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0006_tallies"),
    ]

    # the index first: SQLite rebuilds the table for it, which would drop the triggers
    operations = [
        migrations.AlterField(
            model_name="household",
            name="archived_at",
            field=models.DateField(blank=True, db_index=True, null=True, verbose_name="迁出日期"),
        ),
        migration([HOUSEHOLDS]),
    ]
