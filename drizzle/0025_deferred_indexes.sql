ALTER TABLE "import_jobs" ADD COLUMN "indexing" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- A FULL into an empty register loads its tables without their secondary indexes and builds
-- them afterwards, a partition at a time (lib/imports/jobs/indexes.ts). These two functions do
-- the DDL from the catalog's own definition of each index, so no index is spelt twice.

-- Replaces the index by an invalid one on the partitioned table only (`CREATE INDEX … ON
-- ONLY`): its partitions have none until each is built and attached. False when it was
-- already so.
CREATE FUNCTION kbo_defer_index(idx regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  def text := pg_get_indexdef(idx);
BEGIN
  IF NOT (SELECT indisvalid FROM pg_index WHERE indexrelid = idx) THEN RETURN false; END IF;
  EXECUTE format('DROP INDEX %s', idx);
  -- A partitioned table's index definition reads "… ON ONLY <table> USING …".
  EXECUTE def;
  RETURN true;
END $$;--> statement-breakpoint
-- Builds the partition's own copy of a partitioned index and attaches it; once every
-- partition's is attached, PostgreSQL marks the parent valid. False when it was there already.
CREATE FUNCTION kbo_build_index_partition(idx regclass, part regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  def text := pg_get_indexdef(idx);
  parent_table text := (SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE i.indexrelid = idx);
  idx_name text := (SELECT relname FROM pg_class WHERE oid = idx);
  part_name text := (SELECT relname FROM pg_class WHERE oid = part);
  name text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_inherits h JOIN pg_index x ON x.indexrelid = h.inhrelid
             WHERE h.inhparent = idx AND x.indrelid = part) THEN
    RETURN false;
  END IF;
  name := part_name || substring(idx_name FROM length(parent_table) + 1);
  EXECUTE format('CREATE %sINDEX %I ON %s%s',
    CASE WHEN def LIKE 'CREATE UNIQUE INDEX%' THEN 'UNIQUE ' ELSE '' END, name, part, substring(def FROM ' USING .*$'));
  EXECUTE format('ALTER INDEX %s ATTACH PARTITION %I', idx, name);
  RETURN true;
END $$;
