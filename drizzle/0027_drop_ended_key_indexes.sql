DROP INDEX "activities_ended_key_idx";--> statement-breakpoint
DROP INDEX "addresses_ended_key_idx";--> statement-breakpoint
DROP INDEX "branches_ended_key_idx";--> statement-breakpoint
DROP INDEX "contacts_ended_key_idx";--> statement-breakpoint
DROP INDEX "denominations_ended_key_idx";--> statement-breakpoint
DROP INDEX "enterprises_ended_key_idx";--> statement-breakpoint
DROP INDEX "establishments_ended_key_idx";