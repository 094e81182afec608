CREATE TABLE "import_change_parts" (
	"job_id" integer NOT NULL,
	"part" integer NOT NULL,
	"table_name" text NOT NULL,
	"lo" text,
	"hi" text,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "import_change_parts_job_id_part_pk" PRIMARY KEY("job_id","part")
);
--> statement-breakpoint
CREATE TABLE "import_changes" (
	"job_id" integer NOT NULL,
	"o" smallint NOT NULL,
	"n" text NOT NULL,
	"t" text NOT NULL,
	"change" text NOT NULL,
	"started" integer NOT NULL,
	"ended" integer NOT NULL,
	CONSTRAINT "import_changes_job_id_o_n_pk" PRIMARY KEY("job_id","o","n"),
	CONSTRAINT "import_changes_change_check" CHECK ("import_changes"."change" in ('added', 'ended', 'modified'))
);
--> statement-breakpoint
ALTER TABLE "import_change_parts" ADD CONSTRAINT "import_change_parts_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_changes" ADD CONSTRAINT "import_changes_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_changes_number_idx" ON "import_changes" USING btree ("job_id","n");