-- Describing places by their streets (layers/facilities/places.py formats the parts).
--
-- For each point (x, y) in the metric CRS p_srid: the nearest crossing of two named streets
-- within p_crossing_m metres (a node where >= 3 walk edges meet and >= 2 distinct names do,
-- so that a street changing its name mid-block is not a crossing), the nearest named street
-- within p_street_m metres, and the addresses of households within p_numbers_m metres whose
-- address names that street (the caller reads house numbers out of them).
-- Nodes, edges and households are stored in WGS84 with GiST indexes: the candidates come from
-- the index (<-> in degrees, generous limits) and are then measured in metres in p_srid.
CREATE OR REPLACE FUNCTION gridmap_place_parts(
    p_xs float8[], p_ys float8[], p_srid integer,
    p_crossing_m float8, p_street_m float8, p_numbers_m float8)
RETURNS TABLE (idx integer, crossing text[], crossing_m float8, street text, street_m float8,
               addresses text[], lon float8, lat float8)
LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT i::integer AS idx, pm, ST_Transform(pm, 4326) AS pg
          FROM generate_subscripts(p_xs, 1) AS i,
               LATERAL (SELECT ST_SetSRID(ST_MakePoint(p_xs[i], p_ys[i]), p_srid) AS pm) AS m
    )
    SELECT p.idx, c.names, c.dist, s.name, s.dist, a.addresses, ST_X(p.pg), ST_Y(p.pg)
      FROM p
      LEFT JOIN LATERAL (
            SELECT nm.names, near.dist
              FROM (SELECT n.id, ST_Distance(ST_Transform(n.geom, p_srid), p.pm) AS dist
                      FROM facilities_walknode n
                     ORDER BY n.geom <-> p.pg LIMIT 40) AS near
             CROSS JOIN LATERAL (
                    SELECT array_agg(x.name ORDER BY x.len DESC, x.name) FILTER (WHERE x.name <> '') AS names,
                           sum(x.edges) AS edges
                      FROM (SELECT e.name, sum(e.length_m) AS len, count(*) AS edges
                              FROM facilities_walkedge e
                             WHERE e.source = near.id OR e.target = near.id
                             GROUP BY e.name) AS x) AS nm
             WHERE near.dist <= p_crossing_m AND nm.edges >= 3 AND cardinality(nm.names) >= 2
             ORDER BY near.dist, near.id
             LIMIT 1) AS c ON true
      LEFT JOIN LATERAL (
            SELECT near.name, near.dist
              FROM (SELECT e.name, ST_Distance(ST_Transform(e.geom, p_srid), p.pm) AS dist
                      FROM facilities_walkedge e
                     WHERE e.name <> ''
                     ORDER BY e.geom <-> p.pg LIMIT 12) AS near
             WHERE near.dist <= p_street_m
             ORDER BY near.dist, near.name
             LIMIT 1) AS s ON true
      LEFT JOIN LATERAL (
            SELECT array_agg(near.address) AS addresses
              FROM (SELECT h.address, ST_Distance(ST_Transform(h.geom, p_srid), p.pm) AS dist
                      FROM people_household h
                     ORDER BY h.geom <-> p.pg LIMIT 400) AS near
             WHERE s.name IS NOT NULL AND near.dist <= p_numbers_m AND strpos(near.address, s.name) > 0
            ) AS a ON true
     ORDER BY p.idx
$$;
