CREATE TABLE "import_batch_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_batch_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"batch_id" bigint NOT NULL,
	"job_id" integer NOT NULL,
	"attempt" integer NOT NULL,
	"outcome" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "import_batch_attempts" ADD CONSTRAINT "import_batch_attempts_batch_id_import_job_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."import_job_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_batch_attempts_batch_idx" ON "import_batch_attempts" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "import_batch_attempts_job_idx" ON "import_batch_attempts" USING btree ("job_id");