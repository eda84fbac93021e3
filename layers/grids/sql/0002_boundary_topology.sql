-- Boundary topology for every level of the hierarchy (区 → 街道 → 社区 → 网格): a boundary
-- lies within its parent and overlaps none of its siblings (districts: every other district;
-- streets: the streets of its district; communities: the communities of its street; grids:
-- the grids of its community); its code starts with its parent's code. The same tolerance
-- as the grid check (gridmap_topology_tolerance_m2, 1 m² unless the database sets
-- gridmap.topology_tolerance_m2). Besides the area outside its parent, a boundary lying
-- wholly outside its parent, or smaller than the tolerance itself (a shape measured in the
-- wrong unit: degrees read as metres give a grid of 0.0003 m²), is refused: the sliver
-- tolerance must not let a misplaced boundary through.
--
-- gridmap_grid_problems (0001_topology.sql) keeps its messages; it now also refuses a grid
-- wholly outside its community or below the tolerance, through this function.

CREATE OR REPLACE FUNCTION gridmap_boundary_problems(
    level text, g geometry, parent bigint, self_id bigint, code text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tolerance float8 := gridmap_topology_tolerance_m2();
    what text := CASE level WHEN 'district' THEN '区' WHEN 'street' THEN '街道'
                            WHEN 'community' THEN '社区' ELSE '网格' END;
    parent_what text := CASE level WHEN 'street' THEN '区' WHEN 'community' THEN '街道' ELSE '社区' END;
    parent_en text := CASE level WHEN 'street' THEN 'district' WHEN 'community' THEN 'street' ELSE 'community' END;
    p record;
    s record;
    area float8;
    outside float8;
    problems text[] := '{}';
BEGIN
    IF g IS NULL OR NOT ST_IsValid(g) THEN
        RETURN NULL;  -- the CHECK constraint *_geom_valid refuses it, with its own name
    END IF;
    area := ST_Area(g::geography);
    IF area <= tolerance THEN
        problems := problems || format('面积仅 %s m², 不大于容差 %s m² (area %s m² is not above the tolerance: '
                                       'coordinates in the wrong unit?)', round(area::numeric, 4), tolerance,
                                       round(area::numeric, 4));
    END IF;
    IF level <> 'district' THEN
        IF level = 'street' THEN
            SELECT d.code, d.name, d.geom INTO p FROM grids_district d WHERE d.id = parent;
        ELSIF level = 'community' THEN
            SELECT st.code, st.name, st.geom INTO p FROM grids_street st WHERE st.id = parent;
        ELSE
            SELECT cm.code, cm.name, cm.geom INTO p FROM grids_community cm WHERE cm.id = parent;
        END IF;
        IF NOT FOUND THEN
            RETURN format('%s id=%s 不存在 (%s %s does not exist)', parent_what, parent, parent_en, parent);
        END IF;
        IF level <> 'grid' AND code IS NOT NULL AND code <> '' AND left(code, length(p.code)) <> p.code THEN
            problems := problems || format('%s编码 %s 不以%s编码 %s 开头 (%s code must start with the %s code)',
                                           what, code, parent_what, p.code, level, parent_en);
        END IF;
        IF NOT ST_Intersects(g, p.geom) THEN
            problems := problems || format('完全在所属%s %s%s 之外, 相距 %s m (lies wholly outside its %s, %s m away)',
                                           parent_what, p.name, p.code,
                                           round(ST_Distance(g::geography, p.geom::geography)::numeric),
                                           parent_en, round(ST_Distance(g::geography, p.geom::geography)::numeric));
        ELSIF level <> 'grid' THEN
            outside := ST_Area(ST_Difference(g, p.geom)::geography);
            IF outside > tolerance THEN
                problems := problems || format('超出所属%s %s%s %s m² (leaves its %s by %s m²)', parent_what,
                                               p.name, p.code, round(outside::numeric, 1), parent_en,
                                               round(outside::numeric, 1));
            END IF;
        END IF;
    END IF;
    IF level = 'grid' THEN
        RETURN nullif(array_to_string(problems, '; '), '');  -- the siblings: gridmap_grid_problems
    END IF;
    FOR s IN
        SELECT o.code, o.name, ST_Area(ST_Intersection(g, o.geom)::geography) AS overlap
          FROM grids_district o
         WHERE level = 'district' AND o.id IS DISTINCT FROM self_id AND ST_Intersects(o.geom, g)
        UNION ALL
        SELECT o.code, o.name, ST_Area(ST_Intersection(g, o.geom)::geography)
          FROM grids_street o
         WHERE level = 'street' AND o.district_id = parent AND o.id IS DISTINCT FROM self_id
           AND ST_Intersects(o.geom, g)
        UNION ALL
        SELECT o.code, o.name, ST_Area(ST_Intersection(g, o.geom)::geography)
          FROM grids_community o
         WHERE level = 'community' AND o.street_id = parent AND o.id IS DISTINCT FROM self_id
           AND ST_Intersects(o.geom, g)
         ORDER BY 1
    LOOP
        IF s.overlap > tolerance THEN
            problems := problems || format('与%s %s%s 重叠 %s m² (overlaps %s %s by %s m²)', what, s.name, s.code,
                                           round(s.overlap::numeric, 1), level, s.code,
                                           round(s.overlap::numeric, 1));
        END IF;
    END LOOP;
    RETURN nullif(array_to_string(problems, '; '), '');
END
$$;

-- The grid check of 0001_topology.sql with its messages unchanged, plus the problems above.
CREATE OR REPLACE FUNCTION gridmap_grid_problems(
    g geometry, community bigint, self_id bigint, code text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    tolerance float8 := gridmap_topology_tolerance_m2();
    c record;
    s record;
    outside float8;
    more text;
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
    more := gridmap_boundary_problems('grid', g, community, self_id, code);
    IF more IS NOT NULL THEN
        problems := problems || more;
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

CREATE OR REPLACE FUNCTION gridmap_check_boundary_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    level text := TG_ARGV[0];
    parent bigint := CASE level WHEN 'street' THEN (to_jsonb(NEW) ->> 'district_id')::bigint
                                WHEN 'community' THEN (to_jsonb(NEW) ->> 'street_id')::bigint END;
    problems text := gridmap_boundary_problems(level, NEW.geom, parent, NEW.id, NEW.code);
    what text := CASE level WHEN 'district' THEN '区' WHEN 'street' THEN '街道' ELSE '社区' END;
BEGIN
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION '% % (%) 被拒绝: %', what, NEW.name, NEW.code, problems
              USING ERRCODE = 'check_violation', HINT = 'gridmap boundary topology';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER district_check_topology
    BEFORE INSERT OR UPDATE OF geom, code ON grids_district
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_boundary_row('district');
CREATE TRIGGER street_check_topology
    BEFORE INSERT OR UPDATE OF geom, district_id, code ON grids_street
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_boundary_row('street');
CREATE TRIGGER community_check_topology
    BEFORE INSERT OR UPDATE OF geom, street_id, code ON grids_community
    FOR EACH ROW EXECUTE FUNCTION gridmap_check_boundary_row('community');
