-- Grid linking: every household and incident points at the grid that covers it.
--
-- Rule for points on a shared border (or, in faulty data, inside two grids): the grid
-- with the smallest code wins, i.e. the first grid in the numbering order
-- (west→east, north→south inside a community, communities by code). A point outside
-- every grid gets NULL: it is kept and reported as unassigned, never dropped.

CREATE OR REPLACE FUNCTION gridmap_grid_for_point(p geometry) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT g.id FROM layers_grid g WHERE ST_Covers(g.geom, p) ORDER BY g.code LIMIT 1
$$;

-- BEFORE INSERT / UPDATE OF geom, grid_id on a point table: grid_id is always derived.
-- layers.linking.link_all() re-links whole tables set-based and marks its transaction
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

CREATE TRIGGER household_link_grid
    BEFORE INSERT OR UPDATE OF geom, grid_id ON layers_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_link_point_row();

CREATE TRIGGER incident_link_grid
    BEFORE INSERT OR UPDATE OF geom, grid_id ON layers_incident
    FOR EACH ROW EXECUTE FUNCTION gridmap_link_point_row();

-- AFTER a grid is added, redrawn, re-coded or deleted: re-link exactly the rows it can
-- affect (those it covered before, those it covers now) and write only the rows whose
-- grid changes. The foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's default),
-- so rows of a deleted grid are moved here before the constraint is checked.
CREATE OR REPLACE FUNCTION gridmap_relink_for_grid() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_id bigint := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.id END;
    new_geom geometry := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.geom END;
BEGIN
    UPDATE layers_household h SET grid_id = gridmap_grid_for_point(h.geom)
     WHERE (h.grid_id = old_id OR ST_Covers(new_geom, h.geom))
       AND h.grid_id IS DISTINCT FROM gridmap_grid_for_point(h.geom);
    UPDATE layers_incident i SET grid_id = gridmap_grid_for_point(i.geom)
     WHERE (i.grid_id = old_id OR ST_Covers(new_geom, i.geom))
       AND i.grid_id IS DISTINCT FROM gridmap_grid_for_point(i.geom);
    RETURN NULL;
END
$$;

CREATE TRIGGER grid_relink_points
    AFTER INSERT OR DELETE OR UPDATE OF geom, code ON layers_grid
    FOR EACH ROW EXECUTE FUNCTION gridmap_relink_for_grid();
