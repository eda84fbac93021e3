-- Walking access: what a change to facilities, households or the walk network affects is
-- put on facilities_accessqueue by the triggers below, on every write path (admin, importers,
-- bulk_create, plain SQL). layers.facilities.walking.refresh.refresh_pending() takes the queue and
-- recomputes exactly that, in one batch: a bulk load queues many keys (the refresh merges
-- duplicates) and costs one recomputation, not one per row.
--
-- Queue kinds: ('facility', id) its circles; ('type', id) walking times to that type;
-- ('household', id) one moved household; ('households', 0) households still without
-- times; ('network', 0) every type's times after a network change.

-- The access queue without a unique key: queueing is a plain INSERT that never waits for
-- another transaction (ON CONFLICT on a unique key waits for concurrent inserts of the same
-- key and could deadlock two writers). Duplicates inside one statement are still dropped;
-- layers.facilities.walking.refresh merges the rest when it takes the queue.
CREATE OR REPLACE FUNCTION gridmap_queue_access(p_kind text, p_keys bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO facilities_accessqueue (kind, key)
    SELECT DISTINCT p_kind, k FROM unnest(p_keys) AS k WHERE k IS NOT NULL
$$;

-- Facilities: row triggers (facilities are few). A save that changes neither position nor
-- type (a rename) queues nothing.
CREATE OR REPLACE FUNCTION gridmap_facility_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM facilities_facilitycircle WHERE facility_id = OLD.id;
        -- Rows naming the facility as the nearest are rebuilt by the type's refresh; they go
        -- now so that the foreign key holds at commit even before the refresh runs.
        DELETE FROM facilities_householdaccess WHERE facility_id = OLD.id;
        PERFORM gridmap_queue_access('type', ARRAY[OLD.type_id]);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND ST_AsEWKB(OLD.geom) = ST_AsEWKB(NEW.geom) AND OLD.type_id = NEW.type_id THEN
        RETURN NEW;
    END IF;
    PERFORM gridmap_queue_access('facility', ARRAY[NEW.id]);
    PERFORM gridmap_queue_access('type', CASE WHEN TG_OP = 'UPDATE' THEN ARRAY[OLD.type_id, NEW.type_id]
                                              ELSE ARRAY[NEW.type_id] END);
    RETURN NEW;
END
$$;

CREATE TRIGGER facility_access_changed
    AFTER INSERT OR DELETE OR UPDATE OF geom, type_id ON facilities_facility
    FOR EACH ROW EXECUTE FUNCTION gridmap_facility_changed();

-- Households: statement triggers with transition tables, so that loading 100,000 rows
-- costs one queue row, not 100,000.
CREATE OR REPLACE FUNCTION gridmap_households_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_queue_access('households', ARRAY[0::bigint]);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_households_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_queue_access('household', ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE ST_AsEWKB(o.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_households_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM facilities_householdaccess a USING old_rows o WHERE a.household_id = o.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER household_access_inserted AFTER INSERT ON people_household
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_households_inserted();
CREATE TRIGGER household_access_moved AFTER UPDATE ON people_household
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_households_moved();
CREATE TRIGGER household_access_deleted AFTER DELETE ON people_household
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_households_deleted();

-- The walk network. An edit can only change the circles of facilities that (a) reached one
-- of the changed edges' end nodes (a walk uses an edge only after reaching one of its
-- ends), (b) were snapped to a changed or deleted edge, (c) may now snap to a new edge
-- lying closer than their current snap, or (d) have a straight-line fallback circle.
-- Walking times of all types are recomputed (rows are rewritten only where they change).
CREATE OR REPLACE FUNCTION gridmap_queue_network_change(
    p_nodes bigint[], p_gone_edges bigint[], p_new_geoms geometry[]
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO facilities_networkstate (id, version) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET version = facilities_networkstate.version + 1;
    PERFORM gridmap_queue_access('network', ARRAY[0::bigint]);
    PERFORM gridmap_queue_access('facility', ARRAY(
        SELECT DISTINCT c.facility_id FROM facilities_facilitycircle c
         WHERE c.method <> 'network' OR c.reached_nodes && p_nodes OR c.snapped_edge_id = ANY (p_gone_edges)));
    IF cardinality(p_new_geoms) > 0 THEN
        PERFORM gridmap_queue_access('facility', ARRAY(
            SELECT DISTINCT c.facility_id
              FROM facilities_facilitycircle c JOIN facilities_facility f ON f.id = c.facility_id
             WHERE c.method = 'network'
               AND NOT EXISTS (SELECT 1 FROM facilities_accessqueue q WHERE q.kind = 'facility' AND q.key = c.facility_id)
               AND EXISTS (SELECT 1 FROM unnest(p_new_geoms) AS g
                            WHERE ST_DWithin(f.geom::geography, g::geography, c.snap_distance_m + 0.01))));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_walkedges_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_queue_network_change(
        ARRAY(SELECT source FROM new_rows UNION SELECT target FROM new_rows),
        ARRAY[]::bigint[],
        ARRAY(SELECT geom FROM new_rows));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_walkedges_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_queue_network_change(
        ARRAY(SELECT source FROM new_rows UNION SELECT target FROM new_rows
              UNION SELECT source FROM old_rows UNION SELECT target FROM old_rows),
        ARRAY(SELECT id FROM old_rows),
        ARRAY(SELECT geom FROM new_rows));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_walkedges_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gridmap_queue_network_change(
        ARRAY(SELECT source FROM old_rows UNION SELECT target FROM old_rows),
        ARRAY(SELECT id FROM old_rows),
        ARRAY[]::geometry[]);
    RETURN NULL;
END
$$;

CREATE TRIGGER walkedge_access_inserted AFTER INSERT ON facilities_walkedge
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_walkedges_inserted();
CREATE TRIGGER walkedge_access_updated AFTER UPDATE ON facilities_walkedge
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_walkedges_updated();
CREATE TRIGGER walkedge_access_deleted AFTER DELETE ON facilities_walkedge
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gridmap_walkedges_deleted();

-- One row per household and facility type, read by coverage_report and the planner map.
-- A missing access row (not computed yet, or a type without facilities) counts as not
-- covered; ``covered`` compares the stored minutes with the type's current threshold.
CREATE OR REPLACE VIEW gridmap_household_coverage AS
SELECT h.id AS household_id, h.grid_id, g.community_id, t.id AS facility_type_id, t.code AS type_code,
       t.level_minutes, t.threshold_minutes, h.residents, h.tags,
       a.facility_id, a.distance_m, a.minutes, a.method,
       COALESCE(a.minutes <= t.threshold_minutes, false) AS covered
  FROM people_household h
 CROSS JOIN facilities_facilitytype t
  LEFT JOIN grids_grid g ON g.id = h.grid_id
  LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id;
