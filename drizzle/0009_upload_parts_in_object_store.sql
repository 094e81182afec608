ALTER TABLE "import_upload_parts" ALTER COLUMN "data" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "import_upload_parts" ADD COLUMN "bytes" integer DEFAULT 0 NOT NULL;