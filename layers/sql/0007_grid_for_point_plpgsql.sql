-- gridmap_grid_for_point as PL/pgSQL: the same rule (smallest code among the grids
-- covering the point), but PL/pgSQL keeps the query's plan across calls, where the SQL
-- function (not inlinable because of LIMIT) was planned again on every row a trigger linked.
CREATE OR REPLACE FUNCTION gridmap_grid_for_point(p geometry) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT g.id FROM layers_grid g WHERE ST_Covers(g.geom, p) ORDER BY g.code LIMIT 1);
END
$$;
