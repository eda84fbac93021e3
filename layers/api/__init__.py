"""The REST API (GeoJSON) under the pages' rights."""
