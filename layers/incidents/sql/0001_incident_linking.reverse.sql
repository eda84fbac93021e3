DROP TRIGGER IF EXISTS grid_relink_incidents ON grids_grid;
DROP TRIGGER IF EXISTS incident_link_grid ON incidents_incident;
