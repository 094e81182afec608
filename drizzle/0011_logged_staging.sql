-- Staging rows are kept through a database crash (WAL-logged): a crash mid-import then loses
-- nothing that was committed, and the import carries on where it stood. Measured against
-- UNLOGGED on the busy and full10 benchmarks (README: Reliability), within the machine's noise.
ALTER TABLE "import_staging_enterprises" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_establishments" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_denominations" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_addresses" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_contacts" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_activities" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_branches" SET LOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_codes" SET LOGGED;
