"""Django's PostgreSQL backend without the second, ``varchar_pattern_ops`` index.

For every indexed or unique ``varchar``/``text`` column Django's PostgreSQL schema
editor adds an index of its own (``…_like``) that serves ``LIKE 'prefix%'`` outside the
C collation. Linli's keys are region codes (decision 1), so every scope column of every
table, and every blind index, number and key, got two indexes of which the second
serves no query: no search here is a prefix ``LIKE`` on a large table (names go through
``NameToken``, identifiers through exact blind indexes, region codes are a few hundred
rows). Each was one more index to write on every insert: nine on a case, five on a
resident. Decision 9; migration core 0005 drops those an older installation has.
"""

from django.db.backends.postgresql import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model, field):
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
