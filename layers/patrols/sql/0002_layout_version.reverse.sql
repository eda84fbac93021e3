DROP TRIGGER IF EXISTS walkedge_patrol_layout_version ON facilities_walkedge;
DROP TRIGGER IF EXISTS community_patrol_layout_version ON grids_community;
DROP TRIGGER IF EXISTS grid_patrol_layout_version ON grids_grid;
DROP TRIGGER IF EXISTS incidentcategory_patrol_layout_version ON incidents_incidentcategory;
DROP FUNCTION IF EXISTS gridmap_bump_patrol_layout_version();
DROP SEQUENCE IF EXISTS gridmap_patrol_layout_version;
