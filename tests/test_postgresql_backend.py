"""linli.core.postgresql: no ``varchar_pattern_ops`` index beside the indexes a model
asks for (decision 9), and the migration that drops them from an older installation."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

migration = importlib.import_module("linli.core.migrations.0005_drop_like_indexes")

pytestmark = pytest.mark.django_db

PATTERN_INDEXES = (
    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexdef LIKE '%%pattern_ops%%'"
)


def pattern_indexes() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(PATTERN_INDEXES, [])
        return {name for (name,) in cur.fetchall()}


def indexes_of(table: str) -> set[str]:
    with connection.cursor() as cur:
        return {
            name
            for name, info in connection.introspection.get_constraints(cur, table).items()
            if info["index"]
        }


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL schema")


def test_the_settings_choose_the_backend_for_the_database():
    expected = {"postgresql": "linli.core.postgresql", "sqlite": "linli.core.sqlite"}[connection.vendor]
    assert connection.settings_dict["ENGINE"] == expected


def test_a_migrated_database_has_no_pattern_index(postgresql):
    assert pattern_indexes() == set()
    # the indexes the models ask for are all there: a case's scope columns, its number …
    names = indexes_of("cases_case")
    assert any("district_id" in n for n in names)
    with connection.cursor() as cur:
        info = connection.introspection.get_constraints(cur, "cases_case")
    assert any(c["unique"] and c["columns"] == ["number"] for c in info.values())


def test_the_migration_drops_the_pattern_indexes_an_older_installation_has(postgresql):
    with connection.cursor() as cur:
        cur.execute(
            'CREATE INDEX "cases_case_number_0000_like" ON "cases_case" ("number" varchar_pattern_ops)'
        )
        cur.execute(
            'CREATE INDEX "people_resident_name_0000_like" ON "people_resident" ("name" varchar_pattern_ops)'
        )
        cur.execute(
            'CREATE INDEX "cases_case_number_plain_like" ON "cases_case" ("number")'
        )  # not a pattern index
    assert pattern_indexes() == {"cases_case_number_0000_like", "people_resident_name_0000_like"}
    before = indexes_of("cases_case")

    with connection.schema_editor() as editor:
        migration.drop_like_indexes(None, editor)

    assert pattern_indexes() == set()
    assert indexes_of("cases_case") == before - {"cases_case_number_0000_like"}


def test_the_migration_does_nothing_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite")
    before = indexes_of("cases_case")
    migration.drop_like_indexes(None, SimpleNamespace(connection=connection))
    assert indexes_of("cases_case") == before


def test_statements_are_prepared_on_the_server(postgresql):
    """Parameters are bound on the server and a statement run five times on a connection
    is prepared: PostgreSQL stops planning the queries every page makes."""
    from linli.regions.models import Region

    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    for _ in range(6):
        list(Region.objects.filter(code="150902"))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ['%"regions_region"%']
        )
        assert cur.fetchone()[0] >= 1


def test_the_residents_list_reads_its_region_in_key_order_from_the_list_index(postgresql):
    """The residents list (``listed``) may use the list index of a region level; the name
    search, which leaves the index's ``id > 0`` out, cannot (decision 10)."""
    from linli.people.models import NameToken, Resident, listed
    from linli.people.services import _holding

    assert {f"resident_{lv}_listed" for lv in ("district", "subdistrict", "community")} <= indexes_of(
        "people_resident"
    )
    page = Resident.objects.filter(listed(), subdistrict_id="150902001").order_by("id")[:50]
    # the search's shape (services.search_residents): the ids of the name's tokens
    holding = _holding(NameToken.objects.filter(token="张三"))
    search = Resident.objects.filter(holding, archived_at__isnull=True, subdistrict_id="150902001")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        plans = []
        for qs in (page.values("pk"), search.values("pk")):
            sql, params = qs.query.sql_with_params()
            cur.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(r[0] for r in cur.fetchall()))
    assert "resident_subdistrict_listed" in plans[0], plans[0]
    assert "_listed" not in plans[1], plans[1]
