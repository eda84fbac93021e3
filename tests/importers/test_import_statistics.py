"""A large import stays as fast as its size, whatever the table's statistics said before it and
whatever autovacuum does while it runs (issue #15).

What went wrong: an ANALYZE (autovacuum's, typically after a dry run left a million dead rows)
that ran while an import's rows were written but not committed counted them as absent. The
partition then looked empty, and each per-row lookup planned after that (the district code of
each priority-group row, the foreign keys' checks at commit) scanned a whole index: a
million-household import ran for hours instead of a minute."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
from django.db import connection

from importers.loaders import points
from importers.loaders.base import ImportOptions
from importers.loaders.households import HouseholdLoader
from layers.grids.partitions import partition_name
from layers.people.models import Household, PriorityMembership
from tests.importers.test_import_ledger_history import LEDGER
from tests.summaries.conftest import ledger_day

pytestmark = pytest.mark.django_db
PARTITION = partition_name("people_household", "510104")


def _ledger(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("\r\n".join(LEDGER), encoding="utf-8-sig")
    return path


@pytest.mark.django_db(transaction=True)  # the partition committed, as autovacuum sees it
def test_autovacuum_cannot_count_an_import_as_absent_while_it_writes(chengdu, tmp_path, monkeypatch):
    monkeypatch.setattr(points, "ANALYZE_AFTER_ROWS", 1)  # and it commits with its checks readied
    tried: list[str] = []

    class Probe(HouseholdLoader):
        def after_apply(self) -> list[str]:
            # The rows are written, not committed: what autovacuum's ANALYZE would see now.
            other = connection.get_new_connection(connection.get_connection_params())
            try:
                other.autocommit = True
                with other.cursor() as cur:
                    cur.execute("SET lock_timeout = '300ms'")
                    for table in ("people_household", PARTITION):
                        try:
                            cur.execute(f"ANALYZE {table}")
                            tried.append(f"{table}: analyzed")
                        except psycopg2.errors.LockNotAvailable:
                            tried.append(f"{table}: waits")
            finally:
                other.close()
            return super().after_apply()

    result = Probe(_ledger(tmp_path), ImportOptions(crs="wgs84", progress=False)).run()
    assert result.written and result.created == 3
    assert PriorityMembership.objects.count() == 3  # checked against the households at commit
    assert tried == ["people_household: waits", f"{PARTITION}: waits"]


def _reltuples_and_plan_mode() -> tuple[float, str]:
    """What the checks at commit would be planned on: the partition's row count, the plan mode."""
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [PARTITION])
        reltuples = cur.fetchone()[0]
        cur.execute("SHOW plan_cache_mode")
        return reltuples, cur.fetchone()[0]


def test_a_large_import_readies_its_checks_at_commit(chengdu, tmp_path, monkeypatch):
    before, _ = _reltuples_and_plan_mode()
    assert before <= 0  # never analyzed (-1), or analyzed empty
    # Below the threshold, a small import leaves statistics and plans as they were.
    monkeypatch.setattr(points, "ANALYZE_AFTER_ROWS", 10)
    two = tmp_path / "two.csv"
    two.write_text("\r\n".join([LEDGER[0], LEDGER[1].replace("JJ-L-1", "JJ-L-4"), LEDGER[2].replace("JJ-L-2", "JJ-L-5")]),
                   encoding="utf-8-sig")
    assert HouseholdLoader(two, ImportOptions(crs="wgs84", progress=False)).run().created == 2
    assert _reltuples_and_plan_mode() == (before, "auto")
    # From the threshold: still inside the transaction, the partition is counted at its real
    # size (the five rows this transaction wrote) and the checks get one generic plan each.
    monkeypatch.setattr(points, "ANALYZE_AFTER_ROWS", 3)
    assert HouseholdLoader(_ledger(tmp_path), ImportOptions(crs="wgs84", progress=False)).run().created == 3
    assert _reltuples_and_plan_mode() == (5, "force_generic_plan")


def test_a_membership_written_by_hand_still_gets_its_households_district(chengdu, tmp_path):
    with ledger_day(dt.date(2026, 4, 1)):
        assert HouseholdLoader(_ledger(tmp_path), ImportOptions(crs="wgs84", progress=False)).run().written
    # The import's ledger rows took their households' code as given; a writer after it in the
    # same transaction that gives a wrong code is still corrected, not trusted.
    household = Household.objects.get(external_id="JJ-L-3")
    with connection.cursor() as cur:
        cur.execute("INSERT INTO people_prioritymembership (household_id, \"group\", entered_on, district_code) "
                    "VALUES (%s, '高龄', '2026-04-02', '999999') RETURNING district_code", [household.pk])
        assert cur.fetchone()[0] == "510104"
        cur.execute("SELECT DISTINCT district_code FROM people_prioritymembership")
        assert cur.fetchall() == [("510104",)]
    assert PriorityMembership.objects.count() == 4  # the import's three and this one
