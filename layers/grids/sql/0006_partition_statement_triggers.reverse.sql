-- Back to 0005: partitions without copies of their parents' statement triggers.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgname, t.tgrelid::regclass AS part FROM pg_trigger t JOIN pg_inherits i ON i.inhrelid = t.tgrelid
              WHERE NOT t.tgisinternal AND (t.tgtype & 1) = 0
                AND EXISTS (SELECT 1 FROM pg_trigger p WHERE p.tgrelid = i.inhparent AND p.tgname = t.tgname) LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.part);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_ensure_district_partitions(code varchar) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
    part text;
    boundary geometry;
BEGIN
    IF code !~ '^[0-9]{6}$' OR code = '000000' THEN
        RAISE EXCEPTION '区划代码须为6位数字且不为 000000 (district code must be 6 digits): %', code;
    END IF;
    FOR t IN SELECT gridmap_partitioned_tables() LOOP
        CONTINUE WHEN (SELECT relkind FROM pg_class WHERE oid = t) <> 'p';
        part := format('%s_p%s', (SELECT relname FROM pg_class WHERE oid = t), code);
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES IN (%L)', part, t, code);
    END LOOP;
    SELECT d.geom INTO boundary FROM grids_district d WHERE d.code = $1;
    IF boundary IS NOT NULL THEN
        FOR t IN SELECT unnest(ARRAY['people_household', 'incidents_incident']) LOOP
            CONTINUE WHEN to_regclass(t::text) IS NULL OR (SELECT relkind FROM pg_class WHERE oid = t) <> 'p';
            EXECUTE format('UPDATE %s SET district_code = gridmap_district_code_for_point(geom, grid_id)
                             WHERE district_code = ''000000'' AND ST_Covers($1, geom)', t) USING boundary;
        END LOOP;
    END IF;
END
$$;


DROP FUNCTION gridmap_copy_statement_triggers_all();
DROP FUNCTION gridmap_copy_statement_triggers(regclass);
DROP FUNCTION gridmap_qualified_name(regclass);
