-- The district code of a child row taken as given when its writer copied it from the parent
-- rows in the same statement (issue #15): the priority-group ledger's statement trigger
-- (people/sql/0009_membership_code_given.sql) inserts one row per tag of each new household
-- with that household's code. Looking each one up again cost a query per row (5 s of a
-- million-household import) and, worse, a plan that depends on the partition's statistics: an
-- ANALYZE that ran while the import's rows were still uncommitted counts the partition as
-- empty, and the lookup then scans a whole index per row (a write of 30 s still ran after 13 min).
CREATE OR REPLACE FUNCTION gridmap_fill_district_code() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_id bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    code varchar(6);
BEGIN
    IF parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    -- A writer that took the code from the parent rows themselves says so for the statement
    -- (gridmap.district_code_given, transaction-local); the composite foreign key still checks
    -- the pair at commit.
    IF NEW.district_code IS NOT NULL AND current_setting('gridmap.district_code_given', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_ARGV[0] = 'people_household' THEN
        -- A code given otherwise (an access log line, a membership written by hand) is confirmed
        -- in its one partition.
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
