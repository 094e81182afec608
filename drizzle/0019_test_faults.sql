CREATE TABLE "import_test_faults" (
	"id" integer PRIMARY KEY NOT NULL,
	"fail_batches" integer DEFAULT 0 NOT NULL,
	"table_name" text,
	"transient_failures" integer DEFAULT 0 NOT NULL,
	"delay_ms" integer DEFAULT 0 NOT NULL,
	"stall_ms" integer DEFAULT 0 NOT NULL,
	"stage_delay_ms" integer DEFAULT 0 NOT NULL,
	"undo_delay_ms" integer DEFAULT 0 NOT NULL
);
