-- The district check on UPDATE of households once per statement (issue #15), as on INSERT
-- (0005_statement_checks.sql). Re-linking a district writes a new grid id into each of its
-- hundreds of thousands of households, and the row trigger's lookups took a quarter of that
-- write: 1.4 of 5.9 s for 178,572 households, and 4.3 s when their grids were cleared.
--
-- Only rows whose position, grid or district the statement changed are checked, as the row
-- trigger's UPDATE OF named them: a row equal to one before the statement was checked when
-- it was written, and the rule reads nothing else of the row. Rows whose district is their
-- grid's pass by one hash join; the others are tested one by one with the rule.
--
-- Incidents keep the row trigger: their updates are single status moves, and a statement
-- trigger with transition tables would make each of them collect its rows.
--
-- The rule has one home, gridmap_district_code_allowed, and its refusal one message: the row
-- trigger and both statement checks call them.

CREATE OR REPLACE FUNCTION gridmap_district_code_allowed(given varchar, p geometry, grid bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(given = gridmap_district_code_for_point(p, grid)
                    OR given = gridmap_district_code_for_point(p, NULL)
                    OR (given <> '000000' AND EXISTS (
                            SELECT 1 FROM grids_district d WHERE d.code = given AND ST_Covers(d.geom, p))), false)
$$;

CREATE OR REPLACE FUNCTION gridmap_raise_district_mismatch(tbl text, given varchar, expected varchar) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'check_violation',
        MESSAGE = format('%s: 区划代码 %s 与位置不符，该点属于 %s (district_code must be the district of the point, %s)',
                         tbl, coalesce(given, '空'), expected, expected),
        HINT = 'district_code = gridmap_district_code_for_point(geom, grid_id)';
END
$$;

CREATE OR REPLACE FUNCTION gridmap_check_district_code() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT gridmap_district_code_allowed(NEW.district_code, NEW.geom, NEW.grid_id) THEN
        PERFORM gridmap_raise_district_mismatch(TG_ARGV[0], NEW.district_code,
                                                gridmap_district_code_for_point(NEW.geom, NEW.grid_id));
    END IF;
    RETURN NEW;
END
$$;

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
     WHERE NOT gridmap_district_code_allowed(n.district_code, n.geom, n.grid_id)
     LIMIT 1;
    IF FOUND THEN
        PERFORM gridmap_raise_district_mismatch(TG_ARGV[0], bad.given, bad.expected);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_check_district_code_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- A row is skipped when a row before the statement had its id, district, grid and
    -- position (geometry = is exact equality in PostGIS 3); a new row without one, its id
    -- changed included, is checked.
    SELECT n.district_code AS given, gridmap_district_code_for_point(n.geom, n.grid_id) AS expected INTO bad
      FROM (SELECT r.district_code, r.geom, r.grid_id
              FROM new_rows r LEFT JOIN grids_grid g ON g.id = r.grid_id
             WHERE r.district_code IS DISTINCT FROM left(g.code, 6)
               AND NOT EXISTS (SELECT 1 FROM old_rows o
                                WHERE o.id = r.id AND o.district_code = r.district_code
                                  AND o.grid_id IS NOT DISTINCT FROM r.grid_id AND o.geom = r.geom)
            OFFSET 0) n
     WHERE NOT gridmap_district_code_allowed(n.district_code, n.geom, n.grid_id)
     LIMIT 1;
    IF FOUND THEN
        PERFORM gridmap_raise_district_mismatch(TG_ARGV[0], bad.given, bad.expected);
    END IF;
    RETURN NULL;
END
$$;

-- Dropping the row trigger on the parent drops its clones on the partitions.
DROP TRIGGER household_z_district_check ON people_household;
CREATE TRIGGER household_z_district_check_updated AFTER UPDATE ON people_household
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_check_district_code_updated('people_household');
SELECT gridmap_copy_statement_triggers_all();
