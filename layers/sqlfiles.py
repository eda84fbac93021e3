"""Versioned SQL files (layers/sql/NNNN_name.sql + .reverse.sql) for migrations.

A file is never edited once a migration that reads it has shipped: a change to a function
or trigger is a new file and a new migration (CREATE OR REPLACE), so the schema's history
stays in the migrations.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent / "sql"


def run_sql_file(name: str) -> migrations.RunSQL:
    forward = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    reverse_path = SQL_DIR / f"{name}.reverse.sql"
    reverse = reverse_path.read_text(encoding="utf-8") if reverse_path.exists() else migrations.RunSQL.noop
    # One statement string each: psycopg2 runs the whole script, dollar-quoted bodies included.
    return migrations.RunSQL([forward], [reverse] if isinstance(reverse, str) else reverse)
