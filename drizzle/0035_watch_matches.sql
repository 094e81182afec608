CREATE TABLE "watch_matches" (
	"watchlist_id" integer NOT NULL,
	"job_id" integer NOT NULL,
	"extract_number" integer NOT NULL,
	"number" text NOT NULL,
	"kind" text NOT NULL,
	"changes" jsonb NOT NULL,
	"rows" jsonb NOT NULL,
	"withdrawn_at" timestamp with time zone,
	CONSTRAINT "watch_matches_watchlist_id_job_id_number_pk" PRIMARY KEY("watchlist_id","job_id","number"),
	CONSTRAINT "watch_matches_kind_check" CHECK ("watch_matches"."kind" in ('added', 'ended', 'modified'))
);
--> statement-breakpoint
CREATE TABLE "watch_parts" (
	"job_id" integer NOT NULL,
	"watchlist_id" integer NOT NULL,
	"part" integer NOT NULL,
	"lo" text,
	"hi" text,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "watch_parts_job_id_watchlist_id_part_pk" PRIMARY KEY("job_id","watchlist_id","part")
);
--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "watch_pending" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "watch_matches" ADD CONSTRAINT "watch_matches_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watch_matches" ADD CONSTRAINT "watch_matches_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watch_parts" ADD CONSTRAINT "watch_parts_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watch_parts" ADD CONSTRAINT "watch_parts_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "watch_matches_feed_idx" ON "watch_matches" USING btree ("watchlist_id","extract_number","number");