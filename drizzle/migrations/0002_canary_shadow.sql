CREATE TABLE "canaries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"traffic_class" text,
	"candidate_id" uuid NOT NULL,
	"candidate_version" integer NOT NULL,
	"baseline_version" integer NOT NULL,
	"percent" real NOT NULL,
	"sticky_by" text NOT NULL,
	"max_error_rate" real,
	"max_fallback_rate" real,
	"max_p95_ms" integer,
	"min_requests" integer DEFAULT 50 NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"ended_reason" text,
	"started_by" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_by" text,
	"ended_at" timestamp with time zone,
	CONSTRAINT "canaries_percent" CHECK ("canaries"."percent" > 0 and "canaries"."percent" <= 100)
);
--> statement-breakpoint
CREATE TABLE "shadow_results" (
	"shadow_id" uuid NOT NULL,
	"decision_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"traffic_class" text NOT NULL,
	"serving_route_id" text,
	"serving_outcome" text NOT NULL,
	"serving_latency_ms" integer NOT NULL,
	"serving_cost_usd" numeric(18, 9) NOT NULL,
	"serving_schema_pass" boolean,
	"shadow_outcome" text NOT NULL,
	"shadow_failure_kind" text,
	"shadow_latency_ms" integer,
	"shadow_cost_usd" numeric(18, 9) DEFAULT 0 NOT NULL,
	"shadow_schema_pass" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_routes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"traffic_class" text,
	"route_id" text NOT NULL,
	"sample_rate" real NOT NULL,
	"timeout_ms" integer NOT NULL,
	"budget_usd" numeric(18, 9) NOT NULL,
	"spent_usd" numeric(18, 9) DEFAULT 0 NOT NULL,
	"reserved_usd" numeric(18, 9) DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone,
	CONSTRAINT "shadow_routes_sample_rate" CHECK ("shadow_routes"."sample_rate" > 0 and "shadow_routes"."sample_rate" <= 1),
	CONSTRAINT "shadow_routes_budget" CHECK ("shadow_routes"."spent_usd" >= 0 and "shadow_routes"."reserved_usd" >= 0 and "shadow_routes"."budget_usd" >= 0)
);
--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "canary_id" text;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "canary_arm" text;--> statement-breakpoint
ALTER TABLE "canaries" ADD CONSTRAINT "canaries_candidate_id_policy_versions_id_fk" FOREIGN KEY ("candidate_id") REFERENCES "public"."policy_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "canaries_one_running_per_scope" ON "canaries" USING btree ("scope") WHERE "canaries"."status" = 'running';--> statement-breakpoint
CREATE INDEX "canaries_scope_idx" ON "canaries" USING btree ("scope","started_at");--> statement-breakpoint
CREATE INDEX "shadow_results_shadow_time_idx" ON "shadow_results" USING btree ("shadow_id","created_at");--> statement-breakpoint
CREATE INDEX "shadow_results_tenant_idx" ON "shadow_results" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "shadow_routes_scope_idx" ON "shadow_routes" USING btree ("scope");--> statement-breakpoint
CREATE INDEX "decisions_canary_idx" ON "decisions" USING btree ("canary_id","canary_arm") WHERE "decisions"."canary_id" is not null;