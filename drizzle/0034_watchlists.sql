CREATE TABLE "watchlist_members" (
	"watchlist_id" integer NOT NULL,
	"number" text NOT NULL,
	CONSTRAINT "watchlist_members_watchlist_id_number_pk" PRIMARY KEY("watchlist_id","number")
);
--> statement-breakpoint
CREATE TABLE "watchlists" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "watchlists_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"search" jsonb,
	"webhook_url" text,
	"email" text,
	"secret" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "watchlist_members" ADD CONSTRAINT "watchlist_members_watchlist_id_watchlists_id_fk" FOREIGN KEY ("watchlist_id") REFERENCES "public"."watchlists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "watchlist_members_number_idx" ON "watchlist_members" USING btree ("number");