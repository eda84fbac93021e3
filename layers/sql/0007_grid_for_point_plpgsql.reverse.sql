CREATE OR REPLACE FUNCTION gridmap_grid_for_point(p geometry) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT g.id FROM layers_grid g WHERE ST_Covers(g.geom, p) ORDER BY g.code LIMIT 1
$$;
