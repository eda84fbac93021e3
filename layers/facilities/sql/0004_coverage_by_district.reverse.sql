-- Back to the view of sql/0001_access.sql (every household, walking times joined by id).
DROP FUNCTION IF EXISTS gridmap_household_coverage_in(text[]);

CREATE OR REPLACE VIEW gridmap_household_coverage AS
SELECT h.id AS household_id, h.grid_id, g.community_id, t.id AS facility_type_id, t.code AS type_code,
       t.level_minutes, t.threshold_minutes, h.residents, h.tags,
       a.facility_id, a.distance_m, a.minutes, a.method,
       COALESCE(a.minutes <= t.threshold_minutes, false) AS covered
  FROM people_household h
 CROSS JOIN facilities_facilitytype t
  LEFT JOIN grids_grid g ON g.id = h.grid_id
  LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id;
