-- Before 0017 makes the current key of enterprises, establishments and branches unique: a
-- register that already holds a key current twice (an UPDATE that inserted a current key
-- without ending it, before this check existed) stops the migration here, naming the keys,
-- instead of failing on an anonymous unique violation. Repair: for each key listed, end the
-- rows that are wrong (update <table> set is_current = false, deleted_at_extract = <extract>
-- where id = ...), or re-import the register from a FULL, then start the app again.
DO $$
DECLARE
  broken text;
BEGIN
  SELECT string_agg(format('%s %s (%s current rows)', t, k, n), '; ' ORDER BY t, k)
  INTO broken
  FROM (
    SELECT 'enterprises' AS t, enterprise_number AS k, count(*) AS n FROM enterprises WHERE is_current GROUP BY 2 HAVING count(*) > 1
    UNION ALL
    SELECT 'establishments', establishment_number, count(*) FROM establishments WHERE is_current GROUP BY 2 HAVING count(*) > 1
    UNION ALL
    SELECT 'branches', branch_id, count(*) FROM branches WHERE is_current GROUP BY 2 HAVING count(*) > 1
  ) dup;
  IF broken IS NOT NULL THEN
    RAISE EXCEPTION 'These keys are current more than once, which the register forbids: %. End the wrong rows (or import a FULL again) before upgrading.', left(broken, 4000)
      USING ERRCODE = 'unique_violation';
  END IF;
END $$;
