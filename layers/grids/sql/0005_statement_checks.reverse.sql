DROP TRIGGER household_z_district_check_inserted ON people_household;
DROP TRIGGER household_z_district_check ON people_household;
CREATE TRIGGER household_z_district_check BEFORE INSERT OR UPDATE OF geom, grid_id, district_code ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('people_household');
DROP TRIGGER incident_z_district_check_inserted ON incidents_incident;
DROP TRIGGER incident_z_district_check ON incidents_incident;
CREATE TRIGGER incident_z_district_check BEFORE INSERT OR UPDATE OF geom, grid_id, district_code ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('incidents_incident');
DROP FUNCTION gridmap_check_district_code_inserted();

CREATE OR REPLACE FUNCTION gridmap_fill_district_code() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_id bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    code varchar(6);
BEGIN
    IF parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT district_code FROM %I WHERE id = $1', TG_ARGV[0]) INTO code USING parent_id;
    IF code IS NOT NULL THEN
        NEW.district_code := code;
    END IF;
    RETURN NEW;
END
$$;
