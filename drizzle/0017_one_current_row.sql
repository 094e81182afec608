DROP INDEX "branches_current_key_idx";--> statement-breakpoint
DROP INDEX "enterprises_current_key_idx";--> statement-breakpoint
DROP INDEX "establishments_current_key_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "branches_current_key_idx" ON "branches" USING btree ("branch_id") WHERE is_current;--> statement-breakpoint
CREATE UNIQUE INDEX "enterprises_current_key_idx" ON "enterprises" USING btree ("enterprise_number") WHERE is_current;--> statement-breakpoint
CREATE UNIQUE INDEX "establishments_current_key_idx" ON "establishments" USING btree ("establishment_number") WHERE is_current;