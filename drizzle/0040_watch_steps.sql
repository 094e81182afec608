CREATE TABLE "watch_steps" (
	"job_id" integer NOT NULL,
	"phase" text NOT NULL,
	"part" integer NOT NULL,
	"lo" text,
	"hi" text,
	"watchlist_id" integer,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "watch_steps_job_id_phase_part_pk" PRIMARY KEY("job_id","phase","part"),
	CONSTRAINT "watch_steps_phase_check" CHECK ("watch_steps"."phase" in ('subjects', 'match', 'digest'))
);
--> statement-breakpoint
CREATE TABLE "watch_subjects" (
	"job_id" integer NOT NULL,
	"subject" text NOT NULL,
	"entity" text NOT NULL,
	CONSTRAINT "watch_subjects_job_id_subject_entity_pk" PRIMARY KEY("job_id","subject","entity")
);
--> statement-breakpoint
ALTER TABLE "watch_steps" ADD CONSTRAINT "watch_steps_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watch_steps" ADD CONSTRAINT "watch_steps_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watch_subjects" ADD CONSTRAINT "watch_subjects_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "watch_steps_watchlist_idx" ON "watch_steps" USING btree ("watchlist_id");