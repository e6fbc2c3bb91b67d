"""PostgreSQL helpers shared by the apps' set-based writers."""

from datetime import datetime
from decimal import Decimal

import psycopg
from django.db import connection


def server_cursor():
    """A psycopg cursor with server-side binding on Django's connection (same transaction).

    Django's default cursor composes the query client-side, quoting every parameter in Python, and
    reads timestamps through a loader written in Python. This cursor sends parameters separately
    and, with `execute(…, binary=True)`, gets results in binary form, which psycopg's C loaders
    read (timestamps in the connection's UTC, jsonb already parsed) several times faster.
    """
    connection.ensure_connection()
    return _UnpreparedCursor(connection.connection)


class _UnpreparedCursor(psycopg.Cursor):
    # psycopg prepares a statement run five times; PostgreSQL may then switch to a generic plan, which
    # cannot see how many ids an `= ANY(array)` parameter holds and may scan a whole table for it.
    def execute(self, query, params=None, **kwargs):
        kwargs.setdefault("prepare", False)
        return super().execute(query, params, **kwargs)


def fetch_rows(queryset):
    """The tuples of a `values_list()` queryset; on PostgreSQL read in binary form (see server_cursor)."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with server_cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def with_ids(queryset, column, ids):
    """queryset filtered to `column` in ids — on PostgreSQL as `= ANY(one array literal)`, because an
    IN list of thousands of placeholders costs more to build and parse than the query itself."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{column}__in": list(ids)})
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    return queryset.extra(where=[f"{table}.{connection.ops.quote_name(column)} = ANY(%s::bigint[])"],
                          params=[pg_array(list(ids), "bigint")])


def pg_array(values, sql_type=None):
    """A PostgreSQL array literal of `values`, cast to the column type in SQL.

    Several times faster than letting the driver adapt a Python list element by element, which
    dominated the batch write (see bench/engine.py).
    """
    if None not in values and sql_type in ("bigint", "integer", "smallint", "int"):
        return "{" + ",".join(map(str, values)) + "}"
    # Other columns repeat a few values (node keys, branches, variants, notes, the moments members
    # became due): quote each distinct one once.
    quoted = {v: "NULL" if v is None else _array_element(v) for v in set(values)}
    return "{" + ",".join(map(quoted.__getitem__, values)) + "}"


def _array_element(value):
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
