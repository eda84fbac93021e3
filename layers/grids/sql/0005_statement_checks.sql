-- Bulk writes without per-row lookups (issue #15), the same rules as 0003_district_partitions.sql.
--
-- 1. The district check on INSERT runs once per statement over its new rows (a transition
--    table): rows whose district_code is their linked grid's district pass by one hash join
--    with grids_grid; only the others are tested row by row with the original rule. The
--    error is the one the row trigger raised. UPDATE OF geom, grid_id, district_code keeps the
--    row trigger (a statement trigger cannot name columns with a transition table).
--    A statement trigger fires for statements naming the partitioned table (every writer of
--    this code does); one naming a partition directly is not checked.
CREATE OR REPLACE FUNCTION gridmap_check_district_code_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- OFFSET 0 keeps the join first: the row rule runs only on the rows it leaves.
    SELECT n.district_code AS given, gridmap_district_code_for_point(n.geom, n.grid_id) AS expected INTO bad
      FROM (SELECT r.district_code, r.geom, r.grid_id
              FROM new_rows r LEFT JOIN grids_grid g ON g.id = r.grid_id
             WHERE r.district_code IS DISTINCT FROM left(g.code, 6) OFFSET 0) n
     WHERE NOT coalesce(n.district_code = gridmap_district_code_for_point(n.geom, n.grid_id)
                        OR n.district_code = gridmap_district_code_for_point(n.geom, NULL)
                        OR (n.district_code <> '000000' AND EXISTS (
                                SELECT 1 FROM grids_district d
                                 WHERE d.code = n.district_code AND ST_Covers(d.geom, n.geom))), false)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = format('%s: 区划代码 %s 与位置不符，该点属于 %s (district_code must be the district of the point, %s)',
                             TG_ARGV[0], coalesce(bad.given, '空'), bad.expected, bad.expected),
            HINT = 'district_code = gridmap_district_code_for_point(geom, grid_id)';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER household_z_district_check ON people_household;
CREATE TRIGGER household_z_district_check BEFORE UPDATE OF geom, grid_id, district_code ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('people_household');
CREATE TRIGGER household_z_district_check_inserted AFTER INSERT ON people_household
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_check_district_code_inserted('people_household');
DROP TRIGGER incident_z_district_check ON incidents_incident;
CREATE TRIGGER incident_z_district_check BEFORE UPDATE OF geom, grid_id, district_code ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('incidents_incident');
CREATE TRIGGER incident_z_district_check_inserted AFTER INSERT ON incidents_incident
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_check_district_code_inserted('incidents_incident');

-- 2. The district code of a child row copied from its parent with a prepared (cached) query
--    for the two parents this schema has, instead of a query planned anew per row (EXECUTE):
--    the ledger's rows of a million-household import each pass through here. A code given
--    is looked up in its own partition first (one index probe, not one per partition).
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
