-- 最近走访 (people_household.last_visit) has one rule: the latest of the date it was given
-- (an import or the demo, which carry no visit rows) and the dates of the household's visits.
-- The trigger keeps it so for every writer of visits (pages, API, admin); dates are taken in
-- China's one civil time zone (Asia/Shanghai, the app's TIME_ZONE).
CREATE OR REPLACE FUNCTION people_visit_last_visit() RETURNS trigger AS $$
BEGIN
    UPDATE people_household
       SET last_visit = GREATEST(last_visit, (NEW.visited_at AT TIME ZONE 'Asia/Shanghai')::date)
     WHERE id = NEW.household_id
       AND last_visit IS DISTINCT FROM GREATEST(last_visit, (NEW.visited_at AT TIME ZONE 'Asia/Shanghai')::date);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS visit_last_visit ON people_visit;
CREATE TRIGGER visit_last_visit AFTER INSERT OR UPDATE OF visited_at, household_id ON people_visit
    FOR EACH ROW EXECUTE FUNCTION people_visit_last_visit();

-- Households whose visits are later than the stored date (visits saved before this rule).
UPDATE people_household h
   SET last_visit = v.latest
  FROM (SELECT household_id, max((visited_at AT TIME ZONE 'Asia/Shanghai')::date) AS latest
          FROM people_visit
         WHERE visited_at BETWEEN '2000-01-01'::timestamptz AND '9999-12-30'::timestamptz
         GROUP BY household_id) v
 WHERE h.id = v.household_id AND (h.last_visit IS NULL OR h.last_visit < v.latest);
