


def create_bench_database(name):
    """A PostgreSQL database of the bench's own (<DATABASE_URL's name>_bench_<name>), migrated.

    A bench never touches real data or a concurrent test run's database; call
    drop_bench_database(database) when done."""
    import sys

    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"bench.{name} needs PostgreSQL (set DATABASE_URL=postgres://…)")
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_{name}"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)


def drop_bench_database(database):
    from django.db import connection

    connection.close()
    connection.creation.destroy_test_db(database, verbosity=0)

