DROP TRIGGER IF EXISTS grid_relink_points ON layers_grid;
DROP TRIGGER IF EXISTS incident_link_grid ON layers_incident;
DROP TRIGGER IF EXISTS household_link_grid ON layers_household;
DROP FUNCTION IF EXISTS gridmap_relink_for_grid();
DROP FUNCTION IF EXISTS gridmap_link_point_row();
DROP FUNCTION IF EXISTS gridmap_grid_for_point(geometry);
