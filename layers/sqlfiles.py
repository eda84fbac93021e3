"""Versioned SQL files for migrations: each app keeps its own in ``<app>/sql/NNNN_name.sql``
(+ ``.reverse.sql``), applied by that app's migrations.

A file is never edited once a migration that reads it has shipped: a change to a function
or trigger is a new file and a new migration (CREATE OR REPLACE), so the schema's history
stays in the migrations.
"""

from pathlib import Path

from django.db import migrations


def run_sql_file(migration_file: str, name: str) -> migrations.RunSQL:
    """A RunSQL operation for ``<app>/sql/<name>.sql``; ``migration_file`` is the calling
    migration's ``__file__`` (the app is the folder above its migrations folder)."""
    sql_dir = Path(migration_file).resolve().parent.parent / "sql"
    forward = (sql_dir / f"{name}.sql").read_text(encoding="utf-8")
    reverse_path = sql_dir / f"{name}.reverse.sql"
    reverse = reverse_path.read_text(encoding="utf-8") if reverse_path.exists() else migrations.RunSQL.noop
    # One statement string each: psycopg2 runs the whole script, dollar-quoted bodies included.
    return migrations.RunSQL([forward], [reverse] if isinstance(reverse, str) else reverse)


def drop_indexes(indexes: tuple[tuple[str, str, str], ...]) -> list[migrations.RunSQL]:
    """RunSQL operations dropping each (table, index, column) plain index, recreated on reverse:
    the database side of a foreign key's ``db_index=False`` whose AlterField is only applied to
    the state (Django's own would drop and re-validate the key, a full scan of the table)."""
    from django.db import connection

    q = connection.ops.quote_name  # identifiers quoted as the schema editor quotes them
    return [migrations.RunSQL(f"DROP INDEX IF EXISTS {q(index)}",
                              reverse_sql=f"CREATE INDEX {q(index)} ON {q(table)} ({q(column)})")
            for table, index, column in indexes]
