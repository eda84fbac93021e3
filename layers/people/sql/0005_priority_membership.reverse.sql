DROP TRIGGER IF EXISTS household_record_memberships ON people_household;
DROP FUNCTION IF EXISTS gridmap_record_memberships();
DROP FUNCTION IF EXISTS gridmap_ledger_date();
ALTER TABLE people_prioritymembership DROP CONSTRAINT IF EXISTS people_prioritymembership_household_fk;
