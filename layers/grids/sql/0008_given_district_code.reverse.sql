-- The function as 0005_statement_checks.sql left it.
CREATE OR REPLACE FUNCTION gridmap_fill_district_code() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_id bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    code varchar(6);
BEGIN
    IF parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_ARGV[0] = 'people_household' THEN
        -- The code given (e.g. by the ledger's statement trigger) confirmed in its one partition.
        IF NEW.district_code IS NOT NULL AND EXISTS (
                SELECT 1 FROM people_household p WHERE p.id = parent_id AND p.district_code = NEW.district_code) THEN
            RETURN NEW;
        END IF;
        SELECT p.district_code INTO code FROM people_household p WHERE p.id = parent_id;
    ELSIF TG_ARGV[0] = 'incidents_incident' THEN
        IF NEW.district_code IS NOT NULL AND EXISTS (
                SELECT 1 FROM incidents_incident p WHERE p.id = parent_id AND p.district_code = NEW.district_code) THEN
            RETURN NEW;
        END IF;
        SELECT p.district_code INTO code FROM incidents_incident p WHERE p.id = parent_id;
    ELSE
        EXECUTE format('SELECT district_code FROM %I WHERE id = $1', TG_ARGV[0]) INTO code USING parent_id;
    END IF;
    IF code IS NOT NULL THEN
        NEW.district_code := code;
    END IF;
    RETURN NEW;
END
$$;
