-- Priority-group history (台账): when a household's tag appears a membership opens, when it
-- goes the membership closes. Every writer of people_household (admin, importers, forms, bulk
-- UPDATE, plain SQL) passes through these triggers, so the ledger cannot miss a change.

-- A household deleted takes its history with it (the model declares no constraint of its own).
ALTER TABLE people_prioritymembership
    ADD CONSTRAINT people_prioritymembership_household_fk FOREIGN KEY (household_id)
    REFERENCES people_household (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;

-- The calendar day recorded: the session's gridmap.ledger_date when set (back-dated imports,
-- tests), otherwise today in China's time zone (settings.TIME_ZONE; the database session runs in UTC).
CREATE OR REPLACE FUNCTION gridmap_ledger_date() RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('gridmap.ledger_date', true), '')::date,
                    (now() AT TIME ZONE 'Asia/Shanghai')::date)
$$;

CREATE OR REPLACE FUNCTION gridmap_record_memberships() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_tags varchar[] := CASE WHEN TG_OP = 'UPDATE' THEN coalesce(OLD.tags, '{}') ELSE '{}' END;
    new_tags varchar[] := coalesce(NEW.tags, '{}');
    day date := gridmap_ledger_date();
BEGIN
    IF TG_OP = 'UPDATE' AND old_tags IS NOT DISTINCT FROM new_tags THEN
        RETURN NULL;
    END IF;
    -- Left: open memberships whose tag is gone.
    UPDATE people_prioritymembership m
       SET left_on = greatest(day, coalesce(m.entered_on, day))
     WHERE m.household_id = NEW.id AND m.left_on IS NULL AND NOT (m."group" = ANY (new_tags));
    -- Entered: tags without an open membership.
    INSERT INTO people_prioritymembership (household_id, "group", entered_on, left_on)
    SELECT NEW.id, t, day, NULL
      FROM (SELECT DISTINCT unnest(new_tags) AS t) tags
     WHERE NOT EXISTS (SELECT 1 FROM people_prioritymembership m
                        WHERE m.household_id = NEW.id AND m."group" = tags.t AND m.left_on IS NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER household_record_memberships
    AFTER INSERT OR UPDATE OF tags ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_record_memberships();

-- Households already stored: in the register since before the ledger began (day unknown).
INSERT INTO people_prioritymembership (household_id, "group", entered_on, left_on)
SELECT DISTINCT h.id, t, NULL::date, NULL::date
  FROM people_household h, unnest(h.tags) AS t;

-- Check the rows just written now, not at commit: Django creates the model's indexes after this
-- file, and PostgreSQL refuses CREATE INDEX on a table with foreign-key checks still pending
-- (only an installation upgraded with households stored has any).
SET CONSTRAINTS ALL IMMEDIATE;
