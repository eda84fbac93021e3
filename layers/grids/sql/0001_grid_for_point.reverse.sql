DROP FUNCTION IF EXISTS gridmap_relink_points(regclass);
DROP FUNCTION IF EXISTS gridmap_point_grids_sql(regclass);
DROP FUNCTION IF EXISTS gridmap_relink_for_grid();
DROP FUNCTION IF EXISTS gridmap_link_point_row();
DROP FUNCTION IF EXISTS gridmap_grid_for_point(geometry);
