-- Coverage figures stay cached while grid workers record visits (issues #11, #15). Every
-- UPDATE of households drew a new coverage data version (0003_coverage_version.sql), and a
-- visit updates its household's 最近走访 (last_visit, people/sql/0003_last_visit.sql): in a
-- district where visits are recorded all day, every coverage page recomputed its figures
-- (3.7 s for one district of a 10-million-household province). An UPDATE now draws a new
-- version only when it writes a column coverage reads: position, grid, district, residents or
-- priority tags (UPDATE OF fires when the column is in the statement's SET list, so Django's
-- save() of a whole row still does). INSERT, DELETE and TRUNCATE always do.
DO $$
DECLARE
    tg record;
BEGIN
    -- The parent's trigger and its copies on the partitions (gridmap_copy_statement_triggers).
    FOR tg IN SELECT t.tgrelid::regclass AS tbl FROM pg_trigger t
               WHERE t.tgname = 'household_coverage_data_version' LOOP
        EXECUTE format('DROP TRIGGER household_coverage_data_version ON %s', tg.tbl);
    END LOOP;
END
$$;
CREATE TRIGGER household_coverage_data_version AFTER INSERT OR DELETE OR TRUNCATE ON people_household
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
CREATE TRIGGER household_coverage_data_version_updated
    AFTER UPDATE OF geom, grid_id, district_code, residents, tags ON people_household
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
SELECT gridmap_copy_statement_triggers_all();
