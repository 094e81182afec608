ALTER TABLE "import_jobs" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "paused_seconds" double precision DEFAULT 0 NOT NULL;