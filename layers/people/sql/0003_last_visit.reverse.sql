DROP TRIGGER IF EXISTS visit_last_visit ON people_visit;
DROP FUNCTION IF EXISTS people_visit_last_visit();
