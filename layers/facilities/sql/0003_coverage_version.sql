-- What the coverage reports read (households, facility types, walking times, grids,
-- communities, streets, districts) changes the number this sequence gives: every statement
-- writing one of those tables draws a new value. Coverage figures are cached under the current
-- value (layers.facilities.walking.reports.cached_coverage_rows), so a cached figure is never
-- older than the data, whichever path wrote them. A sequence: drawing a value takes no lock.
CREATE SEQUENCE IF NOT EXISTS gridmap_coverage_data_version;

CREATE OR REPLACE FUNCTION gridmap_bump_coverage_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('gridmap_coverage_data_version');
    RETURN NULL;
END
$$;

CREATE TRIGGER household_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people_household
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER facilitytype_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON facilities_facilitytype FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER householdaccess_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON facilities_householdaccess FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER grid_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_grid
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER community_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_community
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER street_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_street
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER district_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_district
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
