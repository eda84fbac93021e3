-- Coverage rows of some districts' partitions only (issue #15). The view
-- gridmap_household_coverage joined every household of the installation with its walking times
-- by household id alone: a district's coverage read the whole province (150 million walking
-- times at 10 million households) and kept the district afterwards.
--
-- gridmap_household_coverage_in(codes) is the same rows restricted to households stored in the
-- partitions of ``codes`` (NULL: every household), walking times joined on the district code
-- as well. A plain SQL set-returning function is inlined by the planner, so with a constant
-- array both people_household and facilities_householdaccess are pruned to those partitions.
-- The caller names the partitions holding the households of the grids it reports
-- (layers.grids.partitions.district_codes_holding_district): a household on a border may be
-- stored in the neighbouring district's partition while linked to this district's grid.
--
-- One row per household and facility type. A missing walking time (not computed yet, or a
-- type without facilities) counts as not covered; ``covered`` compares the stored minutes with
-- the type's current threshold.
DROP VIEW IF EXISTS gridmap_household_coverage;

CREATE OR REPLACE FUNCTION gridmap_household_coverage_in(p_codes text[]) RETURNS TABLE (
    household_id bigint, grid_id bigint, community_id bigint, facility_type_id bigint,
    type_code varchar, level_minutes smallint, threshold_minutes smallint, residents smallint,
    tags varchar[], facility_id bigint, distance_m double precision, minutes double precision,
    method varchar, covered boolean, district_code varchar)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT h.id, h.grid_id, g.community_id, t.id, t.code,
       t.level_minutes, t.threshold_minutes, h.residents, h.tags,
       a.facility_id, a.distance_m, a.minutes, a.method,
       COALESCE(a.minutes <= t.threshold_minutes, false), h.district_code
  FROM people_household h
 CROSS JOIN facilities_facilitytype t
  LEFT JOIN grids_grid g ON g.id = h.grid_id
  -- The array restriction repeated on the walking times: the planner does not carry it over
  -- an outer join by itself, and without it every partition of the walking times is read.
  LEFT JOIN facilities_householdaccess a
         ON a.household_id = h.id AND a.facility_type_id = t.id AND a.district_code = h.district_code
        AND (p_codes IS NULL OR a.district_code = ANY(p_codes))
 WHERE p_codes IS NULL OR h.district_code = ANY(p_codes)
$$;
