-- The history guard: an incident's status and its history (incidents_incidenttransition) can
-- never disagree, whoever writes them (the app, the admin, an importer, a bulk loader, psql).
--
--  1. A step starts where the previous one ended: from_status = the to_status of the
--     incident's previous step (in id order); the first step starts from '' (a new report)
--     or, for an incident loaded without history, from its current status. Checked when the
--     step is inserted, with the incident row locked (SELECT … FOR UPDATE): two writers of
--     one incident queue up, and the second sees the first one's step (READ COMMITTED takes
--     a new snapshot per statement), so a duplicate move is refused, not recorded twice.
--  2. At commit (deferred, so a loader may write incidents and steps in any order within a
--     transaction), an incident that has a history has the status of its last step.
--  3. Steps are append-only: their incident and statuses never change, and a step is
--     deleted only together with its incident.
-- Errors are check_violation (IntegrityError in Django) with a message starting with the
-- rule's name (incident_history_*), so the app can tell them from other errors.

-- First, repair what the races left behind (finding 2): an incident whose status differs
-- from its last step gets one more step, from that step's status to its own, noted as a
-- repair. Its history then continues from where the incident really is, and the guard below
-- lets the next move through. (Earlier duplicate steps stay: they are what happened.)
INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note)
SELECT i.id, last.to_status, i.status, now(), '数据修复：状态与流转记录不一致，按当前状态补记'
  FROM incidents_incident i
  JOIN LATERAL (SELECT t.to_status FROM incidents_incidenttransition t
                 WHERE t.incident_id = i.id ORDER BY t.id DESC LIMIT 1) last ON true
 WHERE last.to_status <> i.status
 ORDER BY i.id;

CREATE OR REPLACE FUNCTION gridmap_incident_step_follows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    current_status text;
    last_to text;
BEGIN
    IF NEW.from_status = NEW.to_status THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_chain',
            MESSAGE = format('incident_history_chain: 事件 %s 的流转不能从「%s」到「%s」本身 (a step must change the status)',
                             NEW.incident_id, NEW.from_status, NEW.to_status);
    END IF;
    SELECT i.status INTO current_status FROM incidents_incident i WHERE i.id = NEW.incident_id FOR UPDATE;
    SELECT t.to_status INTO last_to FROM incidents_incidenttransition t
     WHERE t.incident_id = NEW.incident_id ORDER BY t.id DESC LIMIT 1;
    IF last_to IS NULL THEN
        IF NEW.from_status <> '' AND NEW.from_status IS DISTINCT FROM current_status THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_chain',
                MESSAGE = format('incident_history_chain: 事件 %s 的第一条流转应从「」或当前状态「%s」开始，而不是「%s」'
                                 ' (the first step starts from nothing or the current status)',
                                 NEW.incident_id, current_status, NEW.from_status);
        END IF;
    ELSIF NEW.from_status <> last_to THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_chain',
            MESSAGE = format('incident_history_chain: 事件 %s 的上一步已到「%s」，新的一步却从「%s」开始，可能已被他人处理'
                             ' (a step must start where the previous one ended)',
                             NEW.incident_id, last_to, NEW.from_status);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION gridmap_incident_status_matches_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    iid bigint;
    current_status text;
    last_to text;
BEGIN
    IF TG_TABLE_NAME = 'incidents_incident' THEN
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

CREATE OR REPLACE FUNCTION gridmap_incident_step_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'incident_history_append_only',
        MESSAGE = format('incident_history_append_only: 流转记录 %s 的事件和状态不能修改 (history is append-only)', OLD.id);
END
$$;

CREATE TRIGGER incident_history_chain
    BEFORE INSERT ON incidents_incidenttransition
    FOR EACH ROW EXECUTE FUNCTION gridmap_incident_step_follows();

CREATE TRIGGER incident_history_steps_fixed
    BEFORE UPDATE OF incident_id, from_status, to_status ON incidents_incidenttransition
    FOR EACH ROW WHEN (NEW.incident_id IS DISTINCT FROM OLD.incident_id
                       OR NEW.from_status IS DISTINCT FROM OLD.from_status
                       OR NEW.to_status IS DISTINCT FROM OLD.to_status)
    EXECUTE FUNCTION gridmap_incident_step_fixed();

CREATE CONSTRAINT TRIGGER incident_history_status_of_incident
    AFTER UPDATE OF status ON incidents_incident
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION gridmap_incident_status_matches_history();

CREATE CONSTRAINT TRIGGER incident_history_status_of_step
    AFTER INSERT OR DELETE ON incidents_incidenttransition
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION gridmap_incident_status_matches_history();
