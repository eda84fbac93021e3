-- What the patrol analysis reads besides the incidents themselves (categories, grids,
-- communities, the walk network) also draws a value from this sequence: an analysis from
-- before such a change is never shown, while one from before the latest reports may be for
-- a minute (layers.patrols.cache.recent).
CREATE SEQUENCE IF NOT EXISTS gridmap_patrol_layout_version;

CREATE OR REPLACE FUNCTION gridmap_bump_patrol_layout_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('gridmap_patrol_layout_version');
    RETURN NULL;
END
$$;

CREATE TRIGGER incidentcategory_patrol_layout_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON incidents_incidentcategory FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_layout_version();
CREATE TRIGGER grid_patrol_layout_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_grid
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_layout_version();
CREATE TRIGGER community_patrol_layout_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_community
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_layout_version();
CREATE TRIGGER walkedge_patrol_layout_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities_walkedge
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_layout_version();
