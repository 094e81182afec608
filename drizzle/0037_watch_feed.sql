CREATE SEQUENCE "public"."watch_feed_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
DROP INDEX "watch_matches_feed_idx";--> statement-breakpoint
ALTER TABLE "watch_matches" ADD COLUMN "feed_seq" bigint DEFAULT nextval('watch_feed_seq') NOT NULL;--> statement-breakpoint
CREATE INDEX "notifications_watchlist_idx" ON "notifications" USING btree ("watchlist_id");--> statement-breakpoint
CREATE INDEX "watch_matches_job_idx" ON "watch_matches" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "watch_matches_feed_idx" ON "watch_matches" USING btree ("watchlist_id","feed_seq");