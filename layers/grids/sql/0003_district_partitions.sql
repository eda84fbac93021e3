-- Partitioned storage (issue #15): the tables that grow with a district's population are
-- LIST-partitioned by district_code, the 6-digit code of the district the row belongs to
-- (grids_district.code; '000000' = in no district, kept in the DEFAULT partition). A
-- district's queries that filter on district_code touch its partition only (pruning), and a
-- district can be loaded, exported, rebuilt or detached on its own (layers.grids.partitions).
--
-- PostgreSQL routes a row to its partition BEFORE row triggers run, and a BEFORE trigger may
-- not change the partition key afterwards: the writer supplies district_code (its Python home
-- is layers.grids.models.DistrictPartitioned; SQL write paths call
-- gridmap_district_code_for_point set-based) and the trigger below CHECKS it, so that every
-- other write path is held to the same rule.

-- The district of a point: the linked grid's district (the first 6 digits of the grid's code:
-- grid ⊂ community ⊂ street ⊂ district codes, held by the topology triggers), else the
-- district whose boundary covers the point (smallest code on a shared border), else '000000'.
CREATE OR REPLACE FUNCTION gridmap_district_code_for_point(p geometry, grid bigint) RETURNS varchar(6)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN coalesce(
        (SELECT left(g.code, 6) FROM grids_grid g WHERE g.id = grid),
        (SELECT d.code FROM grids_district d WHERE ST_Covers(d.geom, p) ORDER BY d.code LIMIT 1),
        '000000');
END
$$;

-- The partitioned tables, parents before children (the order partitions are made in).
CREATE OR REPLACE FUNCTION gridmap_partitioned_tables() RETURNS SETOF regclass
LANGUAGE sql STABLE AS $$
    SELECT t::regclass FROM unnest(ARRAY['people_household', 'people_visit', 'incidents_incident',
                                         'incidents_incidenttransition', 'facilities_householdaccess']) t
     WHERE to_regclass(t) IS NOT NULL
$$;

-- BEFORE INSERT / UPDATE OF geom, grid_id, district_code on a partitioned point table
-- (households, incidents): the given district_code must be the point's district: its grid's,
-- or one covering it (on a shared border the linked grid may lie in the other one), or
-- '000000' when none covers it (the grid may be stale: link_grids repairs it).
-- TG_ARGV[0] names the table in the message (TG_TABLE_NAME is the partition's).
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

-- BEFORE INSERT / UPDATE OF <fk> on a table that is not partitioned but references one:
-- district_code is copied from the parent row (TG_ARGV[0] the parent table, TG_ARGV[1] the
-- foreign-key column). Partitioned children cannot do this (see above): their writers copy it.
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

-- The partition of every partitioned table for one district, made if missing. Rows of the
-- DEFAULT partition ('000000', in no district) that the district covers move to it (with their
-- visits and histories: the composite foreign keys are ON UPDATE CASCADE).
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

CREATE OR REPLACE FUNCTION gridmap_district_partitions_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_ensure_district_partitions(NEW.code);
    RETURN NULL;
END
$$;

-- Turn a table into one LIST-partitioned by district_code (which it must already have, NOT
-- NULL and filled), keeping its rows, column defaults, identity sequence (name and position),
-- indexes, constraints and triggers under their names. Primary keys and unique indexes or
-- constraints gain district_code (PostgreSQL requires the partition key in them). Foreign
-- keys of other tables (or itself) that reference it become composite
-- (x_id, district_code) → (id, district_code) with the same ON DELETE action, ON UPDATE
-- CASCADE and the same deferral; the referencing table must have district_code already.
-- Partitions: <table>_pdefault and <table>_p<code> for every district. Does nothing if the
-- table is partitioned already. With ``partitioned`` false it does the reverse (a plain table,
-- keys and foreign keys without district_code): the migration's way back.
CREATE OR REPLACE FUNCTION gridmap_partition_by_district(tbl regclass, partitioned boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text := (SELECT relname FROM pg_class WHERE oid = tbl);
    old text := left((SELECT relname FROM pg_class WHERE oid = tbl), 40) || '_unpartitioned';
    seq text := pg_get_serial_sequence(tbl::text, 'id');
    seq_last bigint;
    seq_called boolean;
    new_seq text;
    r record;
    idx_defs text[];
    con_defs text[];
    trg_defs text[];
    view_defs text[];
    incoming record;
    incomings jsonb := '[]';
    d text;
    code text;
BEGIN
    IF ((SELECT relkind FROM pg_class WHERE oid = tbl) = 'p') = partitioned THEN
        RETURN;
    END IF;
    -- What to rebuild, read before anything changes.
    SELECT coalesce(array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid), '{}') INTO idx_defs
      FROM pg_index i WHERE i.indrelid = tbl
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = tbl);
    SELECT coalesce(array_agg(format('ALTER TABLE %I ADD CONSTRAINT %I %s', t, c.conname, pg_get_constraintdef(c.oid))
                              ORDER BY c.contype DESC, c.oid), '{}') INTO con_defs
      FROM pg_constraint c WHERE c.conrelid = tbl AND c.conparentid = 0 AND c.contype IN ('p', 'u', 'c', 'f', 'x')
       AND NOT (c.contype = 'f' AND c.confrelid = tbl);
    SELECT coalesce(array_agg(pg_get_triggerdef(g.oid) ORDER BY g.tgname), '{}') INTO trg_defs
      FROM pg_trigger g WHERE g.tgrelid = tbl AND NOT g.tgisinternal;
    FOR incoming IN
        SELECT c.conrelid::regclass AS child, c.conname, a.attname AS col, c.confdeltype, c.condeferrable,
               c.condeferred
          FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.confrelid = tbl AND c.conparentid = 0 AND c.contype = 'f'
    LOOP
        incomings := incomings || jsonb_build_object(
            'child', incoming.child::text, 'name', incoming.conname, 'col', incoming.col,
            'del', incoming.confdeltype, 'is_deferrable', incoming.condeferrable, 'is_deferred', incoming.condeferred);
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', incoming.child, incoming.conname);
    END LOOP;
    -- Views reading the table (and views reading those): dropped and made again.
    WITH RECURSIVE deps(v) AS (
        SELECT rw.ev_class FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = tbl AND rw.ev_class <> tbl
        UNION
        SELECT rw.ev_class FROM deps JOIN pg_depend d ON d.refobjid = deps.v JOIN pg_rewrite rw ON rw.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND rw.ev_class <> deps.v)
    SELECT coalesce(array_agg(format('CREATE %s %s AS %s',
                                     CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
                                     c.oid::regclass, pg_get_viewdef(c.oid)) ORDER BY c.oid), '{}')
      INTO view_defs FROM pg_class c WHERE c.oid IN (SELECT v FROM deps);
    FOR r IN WITH RECURSIVE deps(v) AS (
                 SELECT rw.ev_class FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
                  WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = tbl AND rw.ev_class <> tbl)
             SELECT c.oid::regclass AS v, c.relkind FROM pg_class c WHERE c.oid IN (SELECT v FROM deps) LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE', CASE r.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, r.v);
    END LOOP;
    IF seq IS NOT NULL THEN
        EXECUTE format('SELECT last_value, is_called FROM %s', seq) INTO seq_last, seq_called;
    END IF;

    -- The old table keeps its rows until they are copied; its names go with the new one.
    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, old);
    FOR r IN SELECT g.tgname FROM pg_trigger g WHERE g.tgrelid = tbl AND NOT g.tgisinternal LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', r.tgname, old);
    END LOOP;
    FOR r IN SELECT c.conname FROM pg_constraint c WHERE c.conrelid = tbl AND c.conparentid = 0 AND c.contype IN ('f', 'c', 'x', 'u', 'p')
              ORDER BY c.contype = 'p' LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old, r.conname);
    END LOOP;
    FOR r IN SELECT i.indexrelid::regclass AS idx FROM pg_index i WHERE i.indrelid = tbl LOOP
        EXECUTE format('DROP INDEX %s', r.idx);
    END LOOP;

    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED '
                   'INCLUDING STORAGE INCLUDING COMMENTS) %s', t, old,
                   CASE WHEN partitioned THEN 'PARTITION BY LIST (district_code)' ELSE '' END);
    IF partitioned THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_pdefault', t);
        FOR code IN SELECT g.code FROM grids_district g ORDER BY g.code LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%L)', t || '_p' || code, t, code);
        END LOOP;
    END IF;
    EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', t, old);
    EXECUTE format('DROP TABLE %I', old);
    new_seq := pg_get_serial_sequence(t, 'id');
    IF seq IS NOT NULL AND new_seq IS NOT NULL THEN
        EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', new_seq, (parse_ident(seq))[array_upper(parse_ident(seq), 1)]);
        PERFORM setval(seq, seq_last, seq_called);
    END IF;

    FOREACH d IN ARRAY con_defs LOOP
        IF partitioned AND d ~ ' ADD CONSTRAINT \S+ (PRIMARY KEY|UNIQUE) \(' AND d !~ '\mdistrict_code\M' THEN
            d := regexp_replace(d, '(PRIMARY KEY|UNIQUE) \(([^)]*)\)', '\1 (\2, district_code)');
        ELSIF NOT partitioned AND d ~ ' ADD CONSTRAINT \S+ (PRIMARY KEY|UNIQUE) \(' THEN
            d := replace(d, ', district_code)', ')');
        END IF;
        EXECUTE d;
    END LOOP;
    FOREACH d IN ARRAY idx_defs LOOP
        IF partitioned AND d ~ '^CREATE UNIQUE INDEX' AND d !~ '\mdistrict_code\M' THEN
            d := regexp_replace(d, ' USING (\w+) \(([^)]*)\)', ' USING \1 (\2, district_code)');
        ELSIF NOT partitioned AND d ~ '^CREATE UNIQUE INDEX' THEN
            d := replace(d, ', district_code)', ')');
        END IF;
        EXECUTE d;
    END LOOP;
    FOREACH d IN ARRAY trg_defs LOOP
        EXECUTE d;
    END LOOP;
    FOREACH d IN ARRAY view_defs LOOP
        EXECUTE d;
    END LOOP;
    FOR incoming IN SELECT * FROM jsonb_to_recordset(incomings)
                      AS x(child text, name text, col text, del text, is_deferrable boolean, is_deferred boolean) LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I%s) REFERENCES %I (id%s) %s ON DELETE %s %s',
                       incoming.child, incoming.name, incoming.col,
                       CASE WHEN partitioned THEN ', district_code' ELSE '' END, t,
                       CASE WHEN partitioned THEN ', district_code' ELSE '' END,
                       CASE WHEN partitioned THEN 'ON UPDATE CASCADE' ELSE '' END,
                       CASE incoming.del WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT'
                                         WHEN 'n' THEN CASE WHEN partitioned THEN format('SET NULL (%I)', incoming.col)
                                                            ELSE 'SET NULL' END
                                         WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END,
                       CASE WHEN incoming.is_deferred THEN 'DEFERRABLE INITIALLY DEFERRED'
                            WHEN incoming.is_deferrable THEN 'DEFERRABLE' ELSE '' END);
    END LOOP;
END
$$;

-- A new district gets its partitions at once (loaders may also call the function first).
DROP TRIGGER IF EXISTS district_partitions ON grids_district;
CREATE TRIGGER district_partitions AFTER INSERT OR UPDATE OF code ON grids_district
    FOR EACH ROW EXECUTE FUNCTION gridmap_district_partitions_row();
