DROP TRIGGER IF EXISTS grid_relink_households ON grids_grid;
DROP TRIGGER IF EXISTS household_link_grid ON people_household;
