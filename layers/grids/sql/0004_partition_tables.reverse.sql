-- Back to plain tables (the way back of 0004_partition_tables.sql; rows and ids kept).
DROP TRIGGER IF EXISTS household_z_district_check ON people_household;
DROP TRIGGER IF EXISTS incident_z_district_check ON incidents_incident;
SELECT gridmap_partition_by_district(t, false) FROM gridmap_partitioned_tables() t;
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['people_visit', 'facilities_householdaccess', 'people_piiaccesslog',
                               'people_prioritymembership', 'incidents_incidenttransition', 'incidents_notification',
                               'incidents_incidenturge', 'incidents_incidentreport', 'incidents_incidentphoto',
                               'people_household', 'incidents_incident'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', replace(tbl, '_', '') || '_district_code', tbl);
        EXECUTE format('ALTER TABLE %I DROP COLUMN district_code CASCADE', tbl);
    END LOOP;
END
$$;
