-- Staging rows are rebuilt from the zip if the server crashes, so they skip the WAL.
ALTER TABLE "import_staging_enterprises" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_establishments" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_denominations" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_addresses" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_contacts" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_activities" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_branches" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "import_staging_codes" SET UNLOGGED;
