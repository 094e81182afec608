ALTER TABLE "import_jobs" ADD COLUMN "on_error" text DEFAULT 'continue' NOT NULL;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "max_rejected" integer;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "max_rejected_percent" double precision;