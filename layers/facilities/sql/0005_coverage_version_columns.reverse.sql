-- Back to one trigger drawing a new version on every write of households (0003_coverage_version.sql).
DO $$
DECLARE
    tg record;
BEGIN
    FOR tg IN SELECT t.tgrelid::regclass AS tbl, t.tgname FROM pg_trigger t
               WHERE t.tgname IN ('household_coverage_data_version', 'household_coverage_data_version_updated') LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', tg.tgname, tg.tbl);
    END LOOP;
END
$$;
CREATE TRIGGER household_coverage_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people_household
    FOR EACH STATEMENT EXECUTE FUNCTION gridmap_bump_coverage_data_version();
SELECT gridmap_copy_statement_triggers_all();
