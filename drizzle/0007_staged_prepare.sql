CREATE TABLE "import_job_files" (
	"job_id" integer NOT NULL,
	"file_index" integer NOT NULL,
	"name" text NOT NULL,
	"table_name" text NOT NULL,
	"operation" text NOT NULL,
	"target" text NOT NULL,
	"batches" integer NOT NULL,
	"declared_bytes" bigint NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"next_line" integer DEFAULT 1 NOT NULL,
	"steps" integer DEFAULT 0 NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"run_key" text,
	"run_rows" jsonb,
	"sorted" boolean DEFAULT true NOT NULL,
	"done" boolean DEFAULT false NOT NULL,
	CONSTRAINT "import_job_files_job_id_file_index_pk" PRIMARY KEY("job_id","file_index")
);
--> statement-breakpoint
CREATE TABLE "import_upload_parts" (
	"upload_id" integer NOT NULL,
	"offset" bigint NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "import_upload_parts_upload_id_offset_pk" PRIMARY KEY("upload_id","offset")
);
--> statement-breakpoint
CREATE TABLE "import_uploads" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_uploads_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"file_name" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "source" jsonb;--> statement-breakpoint
ALTER TABLE "import_job_files" ADD CONSTRAINT "import_job_files_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_upload_parts" ADD CONSTRAINT "import_upload_parts_upload_id_import_uploads_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."import_uploads"("id") ON DELETE cascade ON UPDATE no action;