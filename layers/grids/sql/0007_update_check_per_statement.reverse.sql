-- Back to the row check on UPDATE (0005_statement_checks.sql) and the functions' previous
-- bodies (0003_district_partitions.sql, 0005_statement_checks.sql), word for word.
DO $$
DECLARE
    tg record;
BEGIN
    FOR tg IN SELECT t.tgrelid::regclass AS tbl FROM pg_trigger t
               WHERE t.tgname = 'household_z_district_check_updated' LOOP
        EXECUTE format('DROP TRIGGER household_z_district_check_updated ON %s', tg.tbl);
    END LOOP;
END
$$;
CREATE TRIGGER household_z_district_check BEFORE UPDATE OF geom, grid_id, district_code ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_district_code('people_household');
DROP FUNCTION gridmap_check_district_code_updated();

CREATE OR REPLACE FUNCTION gridmap_check_district_code() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    expected varchar(6) := gridmap_district_code_for_point(NEW.geom, NEW.grid_id);
BEGIN
    IF NEW.district_code = expected
       OR NEW.district_code = gridmap_district_code_for_point(NEW.geom, NULL)
       OR (NEW.district_code <> '000000' AND EXISTS (
               SELECT 1 FROM grids_district d WHERE d.code = NEW.district_code AND ST_Covers(d.geom, NEW.geom))) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'check_violation',
        MESSAGE = format('%s: 区划代码 %s 与位置不符，该点属于 %s (district_code must be the district of the point, %s)',
                         TG_ARGV[0], coalesce(NEW.district_code, '空'), expected, expected),
        HINT = 'district_code = gridmap_district_code_for_point(geom, grid_id)';
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

DROP FUNCTION gridmap_raise_district_mismatch(text, varchar, varchar);
DROP FUNCTION gridmap_district_code_allowed(varchar, geometry, bigint);
