"""The database itself refuses UPDATE and DELETE on the audit log."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS core_auditentry_no_update", "DROP TRIGGER IF EXISTS core_auditentry_no_delete"]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
    """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_append_only()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
