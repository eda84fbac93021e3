"""Databases of their own on the test server, for the tests that restore or migrate one."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from django.conf import settings


def connect(dbname: str):
    """An autocommit connection to ``dbname`` on the test database's server."""
    db = settings.DATABASES["default"]
    conn = psycopg2.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                            password=db.get("PASSWORD") or None, dbname=dbname)
    conn.autocommit = True
    return conn


@pytest.fixture
def empty_database():
    """The name of a new, empty database, dropped after the test."""
    name = f"gridmap_scratch_{uuid.uuid4().hex[:8]}"
    conn = connect("postgres")
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield name
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
