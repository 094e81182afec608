-- Custom SQL migration file, put your code below! --
-- A completed import whose matching the old parts (watch_parts) had not finished is matched again
-- from the start by the steps that replace them: the matches already written are written the same
-- (on conflict do nothing), and a digest already sent is not sent again (its notification key).
DO $$
BEGIN
  IF to_regclass('public.watch_parts') IS NOT NULL THEN
    UPDATE "import_jobs" SET "watch_pending" = true
    WHERE "status" = 'completed' AND EXISTS (SELECT 1 FROM "watch_parts" p WHERE p."job_id" = "import_jobs"."id" AND NOT p."done");
  END IF;
END $$;
