-- The register's seven tables become hash-partitioned on their entity key, 32 partitions each
-- (docs/performance.md, "Partitions"): an index can then be built a partition at a time, a
-- step per partition, and a batch can work on one partition. The primary key leads with the
-- key, as PostgreSQL requires of a partitioned table; ids, rows and indexes are kept as they
-- are (each index is created again on the partitioned table, named as before).
CREATE FUNCTION kbo_partition_register_table(tbl text, key_column text, pk_name text, parts int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  old text := tbl || '_unpartitioned';
  defs text[] := '{}';
  d text;
  ix record;
  top bigint;
BEGIN
  FOR ix IN SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
            FROM pg_index i WHERE i.indrelid = tbl::regclass AND NOT i.indisprimary LOOP
    defs := defs || ix.def;
    EXECUTE format('DROP INDEX %s', ix.name);
  END LOOP;
  EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(tbl, 'id'), old || '_id_seq');
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
  EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', old, tbl || '_pkey', old || '_pkey');
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY HASH (%I)', tbl, old, key_column);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%I, id)', tbl, pk_name, key_column);
  FOR r IN 0 .. parts - 1 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)', tbl || '_p' || lpad(r::text, 2, '0'), tbl, parts, r);
  END LOOP;
  EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', tbl, old);
  EXECUTE format('SELECT max(id) FROM %I', old) INTO top;
  IF top IS NOT NULL THEN PERFORM setval(pg_get_serial_sequence(tbl, 'id'), top); END IF;
  EXECUTE format('DROP TABLE %I', old);
  FOREACH d IN ARRAY defs LOOP EXECUTE d; END LOOP;
END $$;--> statement-breakpoint
SELECT kbo_partition_register_table('enterprises', 'enterprise_number', 'enterprises_enterprise_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('establishments', 'establishment_number', 'establishments_establishment_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('denominations', 'entity_number', 'denominations_entity_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('addresses', 'entity_number', 'addresses_entity_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('contacts', 'entity_number', 'contacts_entity_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('activities', 'entity_number', 'activities_entity_number_id_pk', 32);--> statement-breakpoint
SELECT kbo_partition_register_table('branches', 'branch_id', 'branches_branch_id_id_pk', 32);--> statement-breakpoint
DROP FUNCTION kbo_partition_register_table(text, text, text, int);
