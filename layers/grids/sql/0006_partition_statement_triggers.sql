-- A statement that names a partition (INSERT INTO people_household_p510104 …) fires that
-- partition's statement-level triggers, not its parent's. So that such a statement is held to the
-- same set-based rules as one on the parent (the district check and the ledger on INSERT, the
-- walking-time queue, the cache versions), every partition of a partitioned table carries a copy
-- of its parent's statement-level triggers under the same names. A statement on the parent fires
-- only the parent's: nothing runs twice. A later migration that adds a statement trigger to a
-- partitioned table calls gridmap_copy_statement_triggers_all().

CREATE OR REPLACE FUNCTION gridmap_qualified_name(t regclass) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = t
$$;

CREATE OR REPLACE FUNCTION gridmap_copy_statement_triggers(part regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent regclass := (SELECT inhparent FROM pg_inherits WHERE inhrelid = part);
    tg record;
BEGIN
    -- (Foreign partitions, relkind 'f', take no transition tables: a moved district is written
    -- on its own server, layers.ops.shards.)
    IF parent IS NULL OR (SELECT relkind FROM pg_class WHERE oid = part) <> 'r' THEN
        RETURN;
    END IF;
    FOR tg IN SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
               WHERE t.tgrelid = parent AND NOT t.tgisinternal AND (t.tgtype & 1) = 0
                 AND NOT EXISTS (SELECT 1 FROM pg_trigger p WHERE p.tgrelid = part AND p.tgname = t.tgname) LOOP
        -- pg_get_triggerdef names the table schema-qualified.
        EXECUTE replace(tg.def, ' ON ' || gridmap_qualified_name(parent) || ' ', ' ON ' || gridmap_qualified_name(part) || ' ');
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_copy_statement_triggers_all() RETURNS void
LANGUAGE sql AS $$
    SELECT gridmap_copy_statement_triggers(i.inhrelid::regclass)
      FROM gridmap_partitioned_tables() AS t(tbl) JOIN pg_inherits i ON i.inhparent = t.tbl
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
        PERFORM gridmap_copy_statement_triggers(part::regclass);
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


SELECT gridmap_copy_statement_triggers_all();
