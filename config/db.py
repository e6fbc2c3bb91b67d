"""PostgreSQL helpers shared by the apps' set-based writers."""

from django.db import connection


def server_cursor():
    """A psycopg cursor with server-side binding on Django's connection (same transaction).

    Django's default cursor composes the query client-side, quoting every parameter in Python, and
    reads timestamps through a loader written in Python. This cursor sends parameters separately
    and, with `execute(…, binary=True)`, gets results in binary form, which psycopg's C loaders
    read (timestamps in the connection's UTC, jsonb already parsed) several times faster.
    """
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
