CREATE TABLE "activities" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "activities_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_number" text NOT NULL,
	"activity_group" text,
	"nace_version" text,
	"nace_code" text,
	"classification" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "addresses" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "addresses_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_number" text NOT NULL,
	"type_of_address" text,
	"country_nl" text,
	"country_fr" text,
	"zipcode" text,
	"municipality_nl" text,
	"municipality_fr" text,
	"street_nl" text,
	"street_fr" text,
	"house_number" text,
	"box" text,
	"extra_address_info" text,
	"date_striking_off" date,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "branches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "branches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"branch_id" text NOT NULL,
	"start_date" date,
	"enterprise_number" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "codes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "codes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"category" text,
	"code" text,
	"language" text,
	"description" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_number" text NOT NULL,
	"entity_contact" text,
	"contact_type" text,
	"value" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "denominations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "denominations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"entity_number" text NOT NULL,
	"language" text,
	"type_of_denomination" text,
	"denomination" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "enterprises" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enterprises_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"enterprise_number" text NOT NULL,
	"status" text,
	"juridical_situation" text,
	"type_of_enterprise" text,
	"juridical_form" text,
	"juridical_form_cac" text,
	"start_date" date,
	"primary_name" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "establishments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "establishments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"establishment_number" text NOT NULL,
	"start_date" date,
	"enterprise_number" text,
	"extract_number" integer NOT NULL,
	"snapshot_date" date,
	"is_current" boolean DEFAULT true NOT NULL,
	"deleted_at_extract" integer
);
--> statement-breakpoint
CREATE TABLE "import_errors" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_errors_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_id" integer NOT NULL,
	"file" text NOT NULL,
	"line" integer,
	"column" text,
	"value" text,
	"code" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "import_job_batches" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_job_batches_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_id" integer NOT NULL,
	"table_name" text NOT NULL,
	"operation" text NOT NULL,
	"batch_number" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"row_count" integer NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_token" uuid,
	"lease_expires_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"duration_ms" integer,
	"rows_inserted" integer,
	"rows_ended" integer,
	"rows_unchanged" integer,
	"rows_duplicate" integer,
	"rows_noop" integer,
	"error_message" text
);
--> statement-breakpoint
CREATE TABLE "import_jobs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "import_jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"dataset" text DEFAULT 'kbo' NOT NULL,
	"file_name" text NOT NULL,
	"file_size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"extract_number" integer,
	"extract_type" text,
	"snapshot_date" date,
	"extract_timestamp" text,
	"status" text NOT NULL,
	"mode" text,
	"forced" boolean DEFAULT false NOT NULL,
	"batch_size" integer NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"prepared_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "import_staging_activities" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"entity_number" text,
	"activity_group" text,
	"nace_version" text,
	"nace_code" text,
	"classification" text
);
--> statement-breakpoint
CREATE TABLE "import_staging_addresses" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"entity_number" text,
	"type_of_address" text,
	"country_nl" text,
	"country_fr" text,
	"zipcode" text,
	"municipality_nl" text,
	"municipality_fr" text,
	"street_nl" text,
	"street_fr" text,
	"house_number" text,
	"box" text,
	"extra_address_info" text,
	"date_striking_off" date
);
--> statement-breakpoint
CREATE TABLE "import_staging_branches" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"branch_id" text,
	"start_date" date,
	"enterprise_number" text
);
--> statement-breakpoint
CREATE TABLE "import_staging_codes" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"category" text,
	"code" text,
	"language" text,
	"description" text
);
--> statement-breakpoint
CREATE TABLE "import_staging_contacts" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"entity_number" text,
	"entity_contact" text,
	"contact_type" text,
	"value" text
);
--> statement-breakpoint
CREATE TABLE "import_staging_denominations" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"entity_number" text,
	"language" text,
	"type_of_denomination" text,
	"denomination" text
);
--> statement-breakpoint
CREATE TABLE "import_staging_enterprises" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"enterprise_number" text,
	"status" text,
	"juridical_situation" text,
	"type_of_enterprise" text,
	"juridical_form" text,
	"juridical_form_cac" text,
	"start_date" date
);
--> statement-breakpoint
CREATE TABLE "import_staging_establishments" (
	"job_id" integer NOT NULL,
	"batch_number" integer NOT NULL,
	"operation" text NOT NULL,
	"line" integer NOT NULL,
	"establishment_number" text,
	"start_date" date,
	"enterprise_number" text
);
--> statement-breakpoint
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_job_batches" ADD CONSTRAINT "import_job_batches_job_id_import_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."import_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activities_current_key_idx" ON "activities" USING btree ("entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "activities_extract_idx" ON "activities" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "activities_deleted_idx" ON "activities" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "addresses_current_key_idx" ON "addresses" USING btree ("entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "addresses_extract_idx" ON "addresses" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "addresses_deleted_idx" ON "addresses" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "branches_current_key_idx" ON "branches" USING btree ("branch_id") WHERE is_current;--> statement-breakpoint
CREATE INDEX "branches_extract_idx" ON "branches" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "branches_deleted_idx" ON "branches" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "codes_current_idx" ON "codes" USING btree ("category","code","language") WHERE is_current;--> statement-breakpoint
CREATE INDEX "contacts_current_key_idx" ON "contacts" USING btree ("entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "contacts_extract_idx" ON "contacts" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "contacts_deleted_idx" ON "contacts" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "denominations_current_key_idx" ON "denominations" USING btree ("entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "denominations_extract_idx" ON "denominations" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "denominations_deleted_idx" ON "denominations" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "enterprises_current_key_idx" ON "enterprises" USING btree ("enterprise_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "enterprises_extract_idx" ON "enterprises" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "enterprises_deleted_idx" ON "enterprises" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "establishments_current_key_idx" ON "establishments" USING btree ("establishment_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "establishments_extract_idx" ON "establishments" USING btree ("extract_number");--> statement-breakpoint
CREATE INDEX "establishments_deleted_idx" ON "establishments" USING btree ("deleted_at_extract") WHERE deleted_at_extract is not null;--> statement-breakpoint
CREATE INDEX "import_errors_job_idx" ON "import_errors" USING btree ("job_id");--> statement-breakpoint
CREATE UNIQUE INDEX "import_job_batches_key_idx" ON "import_job_batches" USING btree ("job_id","table_name","operation","batch_number");--> statement-breakpoint
CREATE INDEX "import_job_batches_claim_idx" ON "import_job_batches" USING btree ("job_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_sha256_idx" ON "import_jobs" USING btree ("sha256") WHERE status <> 'failed';--> statement-breakpoint
CREATE UNIQUE INDEX "import_jobs_one_active_idx" ON "import_jobs" USING btree ("dataset") WHERE status in ('preparing', 'running');--> statement-breakpoint
CREATE INDEX "import_staging_activities_batch_idx" ON "import_staging_activities" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_addresses_batch_idx" ON "import_staging_addresses" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_branches_batch_idx" ON "import_staging_branches" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_codes_batch_idx" ON "import_staging_codes" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_contacts_batch_idx" ON "import_staging_contacts" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_denominations_batch_idx" ON "import_staging_denominations" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_enterprises_batch_idx" ON "import_staging_enterprises" USING btree ("job_id","batch_number","operation");--> statement-breakpoint
CREATE INDEX "import_staging_establishments_batch_idx" ON "import_staging_establishments" USING btree ("job_id","batch_number","operation");