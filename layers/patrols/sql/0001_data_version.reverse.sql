DROP TRIGGER IF EXISTS walkedge_patrol_data_version ON facilities_walkedge;
DROP TRIGGER IF EXISTS community_patrol_data_version ON grids_community;
DROP TRIGGER IF EXISTS grid_patrol_data_version ON grids_grid;
DROP TRIGGER IF EXISTS incidentcategory_patrol_data_version ON incidents_incidentcategory;
DROP TRIGGER IF EXISTS incident_patrol_data_version ON incidents_incident;
DROP FUNCTION IF EXISTS gridmap_bump_patrol_data_version();
DROP SEQUENCE IF EXISTS gridmap_patrol_data_version;
