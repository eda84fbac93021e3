-- Partitioned storage, applied once: district_code on the five partitioned tables and on
-- the tables referencing them, then each partitioned table rebuilt by
-- gridmap_partition_by_district (0003_district_partitions.sql), parents first. Existing rows
-- keep their ids; a table with rows is copied once (a migration of an installation).

-- ALTER TABLE refuses a table with foreign-key checks still queued.
SET CONSTRAINTS ALL IMMEDIATE;

-- Points: the district of their grid, else of their position.
ALTER TABLE people_household ADD COLUMN district_code varchar(6);
UPDATE people_household SET district_code = gridmap_district_code_for_point(geom, grid_id);
ALTER TABLE people_household ALTER COLUMN district_code SET NOT NULL;
ALTER TABLE incidents_incident ADD COLUMN district_code varchar(6);
UPDATE incidents_incident SET district_code = gridmap_district_code_for_point(geom, grid_id);
ALTER TABLE incidents_incident ALTER COLUMN district_code SET NOT NULL;

-- Children: their parent's district.
DO $$
DECLARE
    child record;
BEGIN
    FOR child IN SELECT * FROM (VALUES
            ('people_visit', 'people_household', 'household_id', false),
            ('facilities_householdaccess', 'people_household', 'household_id', false),
            ('people_piiaccesslog', 'people_household', 'household_id', true),
            ('people_prioritymembership', 'people_household', 'household_id', true),
            ('incidents_incidenttransition', 'incidents_incident', 'incident_id', false),
            ('incidents_notification', 'incidents_incident', 'incident_id', true),
            ('incidents_incidenturge', 'incidents_incident', 'incident_id', true),
            ('incidents_incidentreport', 'incidents_incident', 'incident_id', true),
            ('incidents_incidentphoto', 'incidents_incident', 'incident_id', true)) v(tbl, parent, col, filled)
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN district_code varchar(6)', child.tbl);
        EXECUTE format('UPDATE %I c SET district_code = p.district_code FROM %I p WHERE p.id = c.%I',
                       child.tbl, child.parent, child.col);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN district_code SET NOT NULL', child.tbl);
        IF child.filled THEN
            -- Not partitioned: the database copies the parent's district on every write.
            EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF %I ON %I FOR EACH ROW '
                           'EXECUTE FUNCTION gridmap_fill_district_code(%L, %L)',
                           replace(child.tbl, '_', '') || '_district_code', child.col, child.tbl, child.parent, child.col);
            EXECUTE format('CREATE INDEX %I ON %I (%I, district_code)', child.tbl || '_' || child.col || '_district',
                           child.tbl, child.col);
        END IF;
    END LOOP;
END
$$;

SELECT gridmap_partition_by_district(t) FROM gridmap_partitioned_tables() t;

-- The database holds every other write path to the rule the writers follow.
CREATE TRIGGER household_z_district_check BEFORE INSERT OR UPDATE OF geom, grid_id, district_code ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('people_household');
CREATE TRIGGER incident_z_district_check BEFORE INSERT OR UPDATE OF geom, grid_id, district_code ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('incidents_incident');
