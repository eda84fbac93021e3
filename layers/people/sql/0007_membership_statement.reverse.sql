DROP TRIGGER household_record_memberships_inserted ON people_household;
DROP TRIGGER household_record_memberships ON people_household;
CREATE TRIGGER household_record_memberships
    AFTER INSERT OR UPDATE OF tags ON people_household
    FOR EACH ROW EXECUTE FUNCTION gridmap_record_memberships();
DROP FUNCTION gridmap_record_memberships_inserted();
