"""Tables the database itself keeps append-only: a migration operation adding triggers
that refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE when asked)."""

from __future__ import annotations

from django.db import migrations


def _statements(table: str, truncate: bool) -> dict[str, tuple[list[str], list[str]]]:
    message = f"{table} is append-only"
    sqlite = (
        [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ],
        [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"],
    )
    pg_forward = [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
    ]
    pg_back = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]
    if truncate:
        pg_forward.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
        pg_back.insert(0, f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    pg_back.append(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    return {"sqlite": sqlite, "postgresql": (pg_forward, pg_back)}


def append_only(table: str, *, truncate: bool = False) -> migrations.RunPython:
    statements = _statements(table, truncate)

    def run(index: int):
        def apply(apps, schema_editor):
            for sql in statements.get(schema_editor.connection.vendor, ([], []))[index]:
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(0), run(1))
