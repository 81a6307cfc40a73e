CREATE TABLE "shadow_holds" (
	"id" text PRIMARY KEY NOT NULL,
	"shadow_id" uuid NOT NULL,
	"est_usd" numeric(18, 9) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "shadow_holds_created_idx" ON "shadow_holds" USING btree ("created_at");