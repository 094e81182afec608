ALTER TABLE "activities" ALTER COLUMN "entity_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "addresses" ALTER COLUMN "entity_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "branches" ALTER COLUMN "branch_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "contacts" ALTER COLUMN "entity_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "denominations" ALTER COLUMN "entity_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "enterprises" ALTER COLUMN "enterprise_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "establishments" ALTER COLUMN "establishment_number" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "import_job_batches" ADD COLUMN "range_start" text COLLATE "C";--> statement-breakpoint
ALTER TABLE "import_job_files" ADD COLUMN "cuts" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "import_job_files" ADD COLUMN "max_key" text;--> statement-breakpoint
ALTER TABLE "import_job_files" ADD COLUMN "open_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_uploads" ADD COLUMN "part_size" integer;--> statement-breakpoint
ALTER TABLE "import_uploads" ADD COLUMN "url" text;--> statement-breakpoint
ALTER TABLE "import_uploads" ADD COLUMN "options" jsonb DEFAULT '{}'::jsonb NOT NULL;