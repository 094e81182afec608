CREATE TABLE "sync_runs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sync_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"trigger" text NOT NULL,
	"outcome" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"from_extract" integer,
	"newest_on_portal" integer,
	"plan" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"jobs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "sync_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_check_at" timestamp with time zone,
	"last_check_outcome" text,
	"newest_on_portal" integer,
	"newest_date" date,
	"lease_holder" text,
	"lease_until" timestamp with time zone,
	"last_alert_kind" text,
	"last_alert_at" timestamp with time zone,
	"last_lag_alert_at" timestamp with time zone,
	"alert_undelivered" text
);
--> statement-breakpoint
CREATE INDEX "sync_runs_outcome_idx" ON "sync_runs" USING btree ("outcome","id");