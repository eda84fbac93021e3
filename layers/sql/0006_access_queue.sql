-- The access queue without a unique key: queueing is a plain INSERT that never waits for
-- another transaction (ON CONFLICT on a unique key waits for concurrent inserts of the same
-- key and could deadlock two writers). Duplicates inside one statement are still dropped;
-- layers.walking.refresh merges the rest when it takes the queue.
CREATE OR REPLACE FUNCTION gridmap_queue_access(p_kind text, p_keys bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO layers_accessqueue (kind, key)
    SELECT DISTINCT p_kind, k FROM unnest(p_keys) AS k WHERE k IS NOT NULL
$$;
