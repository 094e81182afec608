ALTER TABLE "import_jobs" DROP CONSTRAINT "import_jobs_status_check";--> statement-breakpoint
DROP INDEX "import_jobs_sha256_idx";--> statement-breakpoint
DROP INDEX "import_jobs_one_active_idx";--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "preview" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "preview_basis" integer;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "previewed_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_sha256_idx" ON "import_jobs" USING btree ("sha256") WHERE not preview and status not in ('failed', 'cancelled', 'rolled_back', 'discarded');--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_one_active_idx" ON "import_jobs" USING btree ("dataset") WHERE not preview and status in ('preparing', 'running', 'paused', 'cancelling', 'rolling_back');--> statement-breakpoint
ALTER TABLE "import_jobs" ADD CONSTRAINT "import_jobs_status_check" CHECK ("import_jobs"."status" in ('preparing', 'running', 'paused', 'completed', 'failed', 'cancelling', 'cancelled', 'rolling_back', 'rolled_back', 'previewed', 'discarded'));