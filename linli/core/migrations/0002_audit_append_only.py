"""The database itself refuses UPDATE and DELETE (and TRUNCATE) on the audit log."""

from django.db import migrations

from linli.core.appendonly import append_only


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [append_only("core_auditentry", truncate=True)]
