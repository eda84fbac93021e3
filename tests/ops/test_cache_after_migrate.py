"""A migrate empties the shared cache: a re-created database starts its data-version sequences
again from 1, and answers cached under those numbers would belong to the old data."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command

from layers.facilities.walking.completeness import access_state
from layers.facilities.walking.reports import coverage_data_version


@pytest.mark.django_db
def test_migrate_forgets_cached_answers():
    cache.set(f"gridmap:access_state:v{coverage_data_version()}", "a state of another database")
    assert access_state() == "a state of another database"  # what a re-created database would read
    call_command("migrate", verbosity=0)  # nothing to apply: post_migrate still runs
    assert access_state() != "a state of another database"
