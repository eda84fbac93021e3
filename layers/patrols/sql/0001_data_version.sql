-- What the patrol analysis reads (incidents and their categories, grids and communities, the
-- walk network) changes the number this sequence gives: every statement that writes one of
-- those tables draws a new value. The patrol page caches its analysis under the current value
-- (layers.patrols.cache), so a cached analysis is never older than the data. A sequence, not
-- a counter row: drawing a value takes no lock, so concurrent reports never wait on each other
-- (a rolled-back write still draws one, which only costs a recomputation).
CREATE SEQUENCE gridmap_patrol_data_version;

CREATE OR REPLACE FUNCTION gridmap_bump_patrol_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('gridmap_patrol_data_version');
    RETURN NULL;
END
$$;

CREATE TRIGGER incident_patrol_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents_incident
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_data_version();
CREATE TRIGGER incidentcategory_patrol_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON incidents_incidentcategory FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_data_version();
CREATE TRIGGER grid_patrol_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_grid
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_data_version();
CREATE TRIGGER community_patrol_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_community
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_data_version();
CREATE TRIGGER walkedge_patrol_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities_walkedge
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_patrol_data_version();
