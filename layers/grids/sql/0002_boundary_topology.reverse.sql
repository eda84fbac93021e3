DROP TRIGGER IF EXISTS district_check_topology ON grids_district;
DROP TRIGGER IF EXISTS street_check_topology ON grids_street;
DROP TRIGGER IF EXISTS community_check_topology ON grids_community;
DROP FUNCTION IF EXISTS gridmap_check_boundary_row();
DROP FUNCTION IF EXISTS gridmap_boundary_problems(text, geometry, bigint, bigint, text);
-- gridmap_grid_problems as 0001_topology.sql defined it.
CREATE OR REPLACE FUNCTION gridmap_grid_problems(
    g geometry, community bigint, self_id bigint, code text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tolerance float8 := gridmap_topology_tolerance_m2();
    c record;
    s record;
    outside float8;
    problems text[] := '{}';
BEGIN
    SELECT cm.code, cm.name, cm.geom INTO c FROM grids_community cm WHERE cm.id = community;
    IF NOT FOUND THEN
        RETURN format('社区 id=%s 不存在 (community %s does not exist)', community, community);
    END IF;
    IF code IS NOT NULL AND code <> '' AND left(code, 12) <> c.code THEN
        problems := problems || format('网格编码 %s 不以社区编码 %s 开头 (grid code must start with the community code)',
                                       code, c.code);
    END IF;
    outside := ST_Area(ST_Difference(g, c.geom)::geography);
    IF outside > tolerance THEN
        problems := problems || format('超出所属社区 %s%s %s m² (leaves its community by %s m²)',
                                       c.name, c.code, round(outside::numeric, 1), round(outside::numeric, 1));
    END IF;
    FOR s IN
        SELECT o.code, o.name, ST_Area(ST_Intersection(g, o.geom)::geography) AS overlap
          FROM grids_grid o
         WHERE o.community_id = community AND o.id IS DISTINCT FROM self_id AND ST_Intersects(o.geom, g)
         ORDER BY o.code
    LOOP
        IF s.overlap > tolerance THEN
            problems := problems || format('与网格 %s%s 重叠 %s m² (overlaps grid %s by %s m²)',
                                           s.name, s.code, round(s.overlap::numeric, 1), s.code,
                                           round(s.overlap::numeric, 1));
        END IF;
    END LOOP;
    RETURN nullif(array_to_string(problems, '; '), '');
END
$$;
