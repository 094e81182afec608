ALTER TABLE "import_change_parts" ADD COLUMN "partition" integer;--> statement-breakpoint
ALTER TABLE "import_job_files" ADD COLUMN "partition_ranges" jsonb;