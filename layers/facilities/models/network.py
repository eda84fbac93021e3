"""The walkable street network, in the shape pgRouting reads (id, source, target, cost,
reverse_cost). Loaded by ``python manage.py import_network`` from OpenStreetMap."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q

from layers.grids.models import WGS84


class WalkNode(models.Model):
    """A junction or end of the walkable network. ``id`` is the OSM node id when the node
    comes from OpenStreetMap (pgRouting takes bigint vertex ids)."""

    id = models.BigIntegerField(primary_key=True)
    geom = models.PointField(srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "路网节点"
        indexes = [GistIndex(fields=["geom"], name="walknode_geom_gist")]


class WalkEdge(models.Model):
    """A walkable street segment between two nodes.

    ``cost`` and ``reverse_cost`` are lengths in metres walked from source to target and
    back; a negative value means that direction cannot be walked (pgRouting's convention).
    Walking times are cost / speed (settings.GRIDMAP_WALK_SPEED_M_PER_MIN).
    """

    source = models.BigIntegerField(db_index=True)
    target = models.BigIntegerField(db_index=True)
    cost = models.FloatField("正向长度(m)")
    reverse_cost = models.FloatField("反向长度(m)")
    length_m = models.FloatField("长度(m)")
    osm_way_id = models.BigIntegerField(null=True, blank=True)
    highway = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=200, blank=True)
    geom = models.LineStringField(srid=WGS84, spatial_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "步行路网路段"
        indexes = [GistIndex(fields=["geom"], name="walkedge_geom_gist")]
        constraints = [
            models.CheckConstraint(condition=Q(geom__isvalid=True), name="walkedge_geom_valid"),
            models.CheckConstraint(condition=Q(length_m__gte=0), name="walkedge_length_nonnegative"),
        ]
