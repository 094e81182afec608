CREATE INDEX "activities_ended_key_idx" ON "activities" USING btree ("entity_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "activities_current_nace_idx" ON "activities" USING btree ("nace_code","entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "addresses_ended_key_idx" ON "addresses" USING btree ("entity_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "addresses_current_zipcode_idx" ON "addresses" USING btree ("zipcode","entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "branches_ended_key_idx" ON "branches" USING btree ("branch_id") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "branches_ended_enterprise_idx" ON "branches" USING btree ("enterprise_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "contacts_ended_key_idx" ON "contacts" USING btree ("entity_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "denominations_ended_key_idx" ON "denominations" USING btree ("entity_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "denominations_current_name_idx" ON "denominations" USING btree ((kbo_fold("denomination") collate "C"),"entity_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "denominations_current_name_trgm_idx" ON "denominations" USING gin (kbo_fold("denomination") gin_trgm_ops) WHERE is_current;--> statement-breakpoint
CREATE INDEX "enterprises_ended_key_idx" ON "enterprises" USING btree ("enterprise_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "enterprises_current_form_idx" ON "enterprises" USING btree ("juridical_form","enterprise_number") WHERE is_current;--> statement-breakpoint
CREATE INDEX "establishments_ended_key_idx" ON "establishments" USING btree ("establishment_number") WHERE not is_current;--> statement-breakpoint
CREATE INDEX "establishments_ended_enterprise_idx" ON "establishments" USING btree ("enterprise_number") WHERE not is_current;