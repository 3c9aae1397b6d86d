"""Trigram indexes for user search, on PostgreSQL only.

`user_search` filters with `icontains`, which Django writes on PostgreSQL as
`UPPER(column::text) LIKE UPPER('%term%')`: no B-tree can serve a pattern that
starts with `%`, so every search read all of `accounts_user`. A `pg_trgm` GIN index
on the same expression serves it for terms of three characters or more
(docs/query-plans.md). SQLite has no such index; there the migration does nothing.
The indexes live in the privacy app, which owns search, and are not in the model
state: no model field or `Meta.indexes` entry describes them.
"""

from django.db import migrations

INDEXES = {
    "user_username_trgm": "username",
    "user_display_name_trgm": "display_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "accounts_user"'
            f' USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_phone_release"),
        ("privacy", "0003_filtered_requests"),
    ]

    operations = [migrations.RunPython(create, drop)]
