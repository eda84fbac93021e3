-- Grid linking: every household and incident points at the grid that covers it.
--
-- THE rule (its one home; Python asks the database through layers.grids.linking): a point
-- covered by several grids (on a shared border, or inside two grids in faulty data) goes
-- to the grid with the smallest code, i.e. the first grid in the numbering order
-- (north→south then west→east inside a community, communities by code). A point outside
-- every grid gets NULL: it is kept and reported as unassigned, never dropped.
--
-- PL/pgSQL keeps the query's plan across calls, where an SQL function (not inlinable
-- because of LIMIT) would be planned again on every row a trigger links.
CREATE OR REPLACE FUNCTION gridmap_grid_for_point(p geometry) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT g.id FROM grids_grid g WHERE ST_Covers(g.geom, p) ORDER BY g.code LIMIT 1);
END
$$;

-- The same rule set-based, for whole tables (layers.grids.linking.link_all, the importers'
-- staging tables): the text of a query giving (id, grid_id) for every row of a table of
-- points with id and geom. DISTINCT ON keeps, for each point, the covering grid with the
-- smallest code; points without a covering grid get NULL through the LEFT JOIN. The lateral
-- subquery runs grid by grid over the points' GiST index (OFFSET 0 keeps the planner from
-- flattening it into a point-by-point join): PostGIS then prepares each grid polygon once
-- and tests every point in its box against it, ~7× faster than probing the grid index once
-- per point.
CREATE OR REPLACE FUNCTION gridmap_point_grids_sql(tbl regclass) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'WITH hit AS (
             SELECT DISTINCT ON (p.id) p.id, g.id AS grid_id
               FROM grids_grid g
              CROSS JOIN LATERAL (SELECT p.id FROM %1$s p WHERE ST_Covers(g.geom, p.geom) OFFSET 0) p
              ORDER BY p.id, g.code
         )
         SELECT p.id, hit.grid_id FROM %1$s p LEFT JOIN hit ON hit.id = p.id', tbl)
$$;

-- Re-link every row of a point table set-based, writing only rows whose grid changes;
-- returns how many changed. Callers mark the transaction with gridmap.set_based_linking =
-- 'on' so that the row trigger below lets the rows it writes be.
CREATE OR REPLACE FUNCTION gridmap_relink_points(tbl regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    EXECUTE format(
        'UPDATE %1$s p SET grid_id = target.grid_id FROM (%2$s) target
          WHERE p.id = target.id AND p.grid_id IS DISTINCT FROM target.grid_id',
        tbl, gridmap_point_grids_sql(tbl));
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;

-- BEFORE INSERT / UPDATE OF geom, grid_id on a point table: grid_id is always derived.
-- Each app with linked points installs this trigger on its table (people, incidents).
-- layers.grids.linking.link_all() re-links whole tables set-based and marks its transaction
-- with gridmap.set_based_linking = 'on' so that the rows it writes are not linked twice.
CREATE OR REPLACE FUNCTION gridmap_link_point_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gridmap.set_based_linking', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.grid_id := gridmap_grid_for_point(NEW.geom);
    RETURN NEW;
END
$$;

-- AFTER a grid is added, redrawn, re-coded or deleted: re-link exactly the rows of the
-- point table named by the trigger's argument that the grid can affect (those it covered
-- before, those it covers now), writing only the rows whose grid changes. Each app with
-- linked points installs one such trigger on grids_grid for its table. The foreign keys
-- are DEFERRABLE INITIALLY DEFERRED (Django's default), so rows of a deleted grid are
-- moved here before the constraint is checked.
CREATE OR REPLACE FUNCTION gridmap_relink_for_grid() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_id bigint := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.id END;
    new_geom geometry := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.geom END;
BEGIN
    EXECUTE format(
        'UPDATE %I p SET grid_id = gridmap_grid_for_point(p.geom)
          WHERE (p.grid_id = $1 OR ST_Covers($2, p.geom))
            AND p.grid_id IS DISTINCT FROM gridmap_grid_for_point(p.geom)', TG_ARGV[0])
    USING old_id, new_geom;
    RETURN NULL;
END
$$;
