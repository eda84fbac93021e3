"""Grids lie inside their community and do not overlap their siblings; rules live in the database."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from layers.grids.models import Community, Grid
from tests.factories import MIDDLE, NORTH, SOUTH, WEST, box, make_community, make_grid, two_grids

pytestmark = pytest.mark.django_db


def test_grid_leaving_its_community_is_rejected_with_the_area():
    community = make_community()
    with pytest.raises(IntegrityError, match=r"超出所属社区 测试社区510104001001 \d+(\.\d)? m²"):
        with transaction.atomic():
            make_grid(community, box(WEST, SOUTH, 104.085, NORTH), name="越界网格")
    assert not Grid.objects.exists()


def test_grid_overlapping_a_sibling_is_rejected_naming_the_sibling():
    community, west, _ = two_grids()
    with pytest.raises(IntegrityError) as err:
        with transaction.atomic():
            make_grid(community, box(104.065, SOUTH, 104.075, NORTH), name="重叠网格")
    message = str(err.value)
    assert "重叠网格" in message and west.code in message and "重叠" in message and "m²" in message
    assert Grid.objects.count() == 2


def test_touching_grids_are_accepted():
    _, west, east = two_grids()
    assert west.geom.touches(east.geom)


def test_plain_sql_goes_through_the_same_rule():
    community, west, _ = two_grids()
    with pytest.raises(IntegrityError, match="重叠"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "UPDATE grids_grid SET geom = ST_Multi(ST_MakeEnvelope(104.060, 30.650, 104.075, 30.660, 4326))"
                " WHERE id = %s",
                [west.id],
            )


def test_model_validation_reports_the_same_problem_as_a_form_error():
    community, _, _ = two_grids()
    grid = Grid(community=community, geom=box(104.065, SOUTH, 104.090, NORTH), name="坏网格")
    with pytest.raises(ValidationError) as err:
        grid.full_clean()
    text = str(err.value.message_dict["geom"])
    assert "超出所属社区" in text and "重叠" in text


def test_code_must_start_with_the_community_code():
    community = make_community()
    with pytest.raises(IntegrityError, match="不以社区编码"):
        with transaction.atomic():
            make_grid(community, box(WEST, SOUTH, MIDDLE, NORTH), code="510104001002001")


def test_code_must_have_fifteen_digits():
    community = make_community()
    with pytest.raises(IntegrityError, match="grid_code_digits"):
        with transaction.atomic():
            make_grid(community, box(WEST, SOUTH, MIDDLE, NORTH), code="51010400100101")


def test_invalid_geometry_is_rejected_by_the_schema():
    bowtie = MultiPolygon(Polygon(((104.06, 30.65), (104.07, 30.66), (104.07, 30.65), (104.06, 30.66),
                                   (104.06, 30.65))), srid=4326)
    with pytest.raises(IntegrityError, match="community_geom_valid"):
        with transaction.atomic():
            make_community(code="510104001009", geom=bowtie)
    assert not Community.objects.filter(code="510104001009").exists()
