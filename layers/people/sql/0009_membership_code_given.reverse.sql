-- The function as 0007_membership_statement.sql left it.
CREATE OR REPLACE FUNCTION gridmap_record_memberships_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    day date := gridmap_ledger_date();
BEGIN
    -- As the row rule: an open membership whose tag the new row lacks closes (only a household
    -- id deleted and inserted again in one transaction can still have one).
    UPDATE people_prioritymembership m
       SET left_on = greatest(day, coalesce(m.entered_on, day))
      FROM new_rows n
     WHERE m.household_id = n.id AND m.left_on IS NULL
       AND NOT (m."group" = ANY (coalesce(n.tags, '{}')));
    -- Entered: each distinct tag of a new row without an open membership. In household order:
    -- the checks of each ledger row (its district, the foreign key at commit) then read the
    -- households' index and pages in order instead of at random.
    INSERT INTO people_prioritymembership (household_id, "group", entered_on, left_on, district_code)
    SELECT t.id, t.tag, day, NULL, t.district_code
      FROM (SELECT DISTINCT n.id, n.district_code, u.tag
              FROM new_rows n CROSS JOIN LATERAL unnest(coalesce(n.tags, '{}')) AS u(tag)) t
     WHERE NOT EXISTS (SELECT 1 FROM people_prioritymembership m
                        WHERE m.household_id = t.id AND m."group" = t.tag AND m.left_on IS NULL)
     ORDER BY t.id;
    RETURN NULL;
END
$$;
