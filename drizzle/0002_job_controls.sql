DROP INDEX "import_jobs_sha256_idx";--> statement-breakpoint
DROP INDEX "import_jobs_one_active_idx";--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "undo" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_sha256_idx" ON "import_jobs" USING btree ("sha256") WHERE status not in ('failed', 'cancelled', 'rolled_back');--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_one_active_idx" ON "import_jobs" USING btree ("dataset") WHERE status in ('preparing', 'running', 'paused', 'cancelling', 'rolling_back');