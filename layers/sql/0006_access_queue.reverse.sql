CREATE OR REPLACE FUNCTION gridmap_queue_access(p_kind text, p_keys bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO layers_accessqueue (kind, key)
    SELECT p_kind, k FROM unnest(p_keys) AS k WHERE k IS NOT NULL
    ON CONFLICT (kind, key) DO NOTHING
$$;
