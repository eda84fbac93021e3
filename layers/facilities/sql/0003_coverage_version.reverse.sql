DROP TRIGGER IF EXISTS district_coverage_data_version ON grids_district;
DROP TRIGGER IF EXISTS street_coverage_data_version ON grids_street;
DROP TRIGGER IF EXISTS community_coverage_data_version ON grids_community;
DROP TRIGGER IF EXISTS grid_coverage_data_version ON grids_grid;
DROP TRIGGER IF EXISTS householdaccess_coverage_data_version ON facilities_householdaccess;
DROP TRIGGER IF EXISTS facilitytype_coverage_data_version ON facilities_facilitytype;
DROP TRIGGER IF EXISTS household_coverage_data_version ON people_household;
DROP FUNCTION IF EXISTS gridmap_bump_coverage_data_version();
DROP SEQUENCE IF EXISTS gridmap_coverage_data_version;
