"""A database made before the apps were reorganised is refused with a way out, not migrated."""

import pytest
from django.db import connection

from gridmap import schema_check


@pytest.mark.django_db
def test_a_fresh_database_may_be_migrated():
    assert schema_check.legacy_apps() == []
    assert schema_check.main() == 0


@pytest.mark.django_db
def test_a_database_of_the_old_layout_is_refused_with_the_rebuild_command(capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with connection.cursor() as cur:
        cur.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('layers', '0001_initial', now()),"
                    " ('fieldwork', '0001_initial', now())")
    assert schema_check.legacy_apps() == ["fieldwork", "layers"]
    assert schema_check.main() == 1
    err = capsys.readouterr().err
    assert "无法原地迁移" in err and "rm -rf var/pg && make demo" in err and "Traceback" not in err
