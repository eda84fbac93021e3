DROP TRIGGER IF EXISTS grid_check_topology ON grids_grid;
DROP FUNCTION IF EXISTS gridmap_check_grid_row();
DROP FUNCTION IF EXISTS gridmap_grid_problems(geometry, bigint, bigint, text);
DROP FUNCTION IF EXISTS gridmap_topology_tolerance_m2();
