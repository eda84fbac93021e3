-- The history guard on partitioned tables (grids 0004_district_partitions): a row trigger now
-- runs on a partition, so TG_TABLE_NAME is incidents_incident_p<code> or _pdefault, not the
-- table's name. Otherwise the function of 0002_incident_history_guard.sql, unchanged.
CREATE OR REPLACE FUNCTION gridmap_incident_status_matches_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    iid bigint;
    current_status text;
    last_to text;
BEGIN
    IF TG_TABLE_NAME = 'incidents_incident' OR TG_TABLE_NAME LIKE 'incidents\_incident\_p%' THEN
        iid := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        iid := OLD.incident_id;
    ELSE
        iid := NEW.incident_id;
    END IF;
    SELECT i.status INTO current_status FROM incidents_incident i WHERE i.id = iid;
    IF NOT FOUND THEN
        RETURN NULL;  -- the incident is gone, and its history with it
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_append_only',
            MESSAGE = format('incident_history_append_only: 事件 %s 的流转记录不能删除 (history is append-only)', iid);
    END IF;
    SELECT t.to_status INTO last_to FROM incidents_incidenttransition t
     WHERE t.incident_id = iid ORDER BY t.id DESC LIMIT 1;
    IF last_to IS NOT NULL AND last_to <> current_status THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_status',
            MESSAGE = format('incident_history_status: 事件 %s 的状态「%s」与最后一条流转记录「%s」不一致'
                             ' (status must equal the last step''s to_status; change it through the lifecycle)',
                             iid, current_status, last_to);
    END IF;
    RETURN NULL;
END
$$;
