"""Model instances from rows read with plain SQL, as the ORM would have built them.

The statements run on every request (a send's lock, the API token check) are written
by hand: the ORM's compile work cost more than running them. These give such a
statement its column list and turn its row back into the model instance, with the
database's converters applied as the ORM applies them (SQLite hands dates back as text).
"""

import functools

from django.db import connection


def select_columns(model, table_alias: str) -> str:
    """Every concrete column of `model`, qualified by `table_alias`, in field order."""
    return _select_columns(model, table_alias, connection.vendor)


@functools.cache
def _select_columns(model, table_alias: str, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    return ", ".join(f"{table_alias}.{quote(field.column)}" for field in fields)


def column_count(model) -> int:
    return len(model._meta.concrete_fields)


@functools.cache
def _converters(model, vendor: str) -> list[tuple[int, list, object]]:
    """What the ORM does to each raw column value of `model` on this database."""
    converters = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return converters


@functools.cache
def _attnames(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model, values):
    """The instance of `model` whose concrete fields' raw values are `values`, in order."""
    values = list(values)
    for index, found, column in _converters(model, connection.vendor):
        for converter in found:
            values[index] = converter(values[index], column, connection)
    return model.from_db(connection.alias, _attnames(model), values)
