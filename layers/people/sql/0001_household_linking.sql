-- households are linked to the grid that covers them (the rule: layers/grids/sql/0001_grid_for_point.sql):
-- on every insert and move of a household, and whenever a grid is added, redrawn, re-coded or deleted.
CREATE TRIGGER household_link_grid
    BEFORE INSERT OR UPDATE OF geom, grid_id ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_link_point_row();

CREATE TRIGGER grid_relink_households
    AFTER INSERT OR DELETE OR UPDATE OF geom, code ON grids_grid
    FOR EACH ROW EXECUTE FUNCTION gridmap_relink_for_grid('people_household');
