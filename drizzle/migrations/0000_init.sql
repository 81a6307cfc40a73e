CREATE TABLE "budget_usage" (
	"tenant_id" text NOT NULL,
	"period" text NOT NULL,
	"spent_usd" numeric(18, 9) DEFAULT 0 NOT NULL,
	"reserved_usd" numeric(18, 9) DEFAULT 0 NOT NULL,
	"retries_used" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "budget_usage_tenant_id_period_pk" PRIMARY KEY("tenant_id","period"),
	CONSTRAINT "budget_usage_reserved_nonneg" CHECK ("budget_usage"."reserved_usd" >= 0)
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"monthly_limit_usd" numeric(18, 9) NOT NULL,
	"prepaid_balance_usd" numeric(18, 9),
	"daily_limit_usd" numeric(18, 9),
	"retry_budget_per_day" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"amount_usd" numeric(18, 9) NOT NULL,
	"month" text NOT NULL,
	"day" text NOT NULL,
	"daily" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spend_ledger" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount_usd" numeric(18, 9) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attempts" (
	"decision_id" text NOT NULL,
	"index" integer NOT NULL,
	"tier" integer NOT NULL,
	"route_id" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"outcome" text NOT NULL,
	"skip_reason" text,
	"failure_kind" text,
	"status" integer,
	"provider_code" text,
	"retry" integer NOT NULL,
	"breaker_state" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"latency_ms" integer NOT NULL,
	"input_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"cost_usd" numeric(18, 9) NOT NULL,
	CONSTRAINT "attempts_decision_id_index_pk" PRIMARY KEY("decision_id","index")
);
--> statement-breakpoint
CREATE TABLE "decision_rollups" (
	"bucket_start" timestamp with time zone NOT NULL,
	"tenant_id" text NOT NULL,
	"traffic_class" text NOT NULL,
	"route_id" text NOT NULL,
	"model" text NOT NULL,
	"tier" integer NOT NULL,
	"requests" bigint NOT NULL,
	"successes" bigint NOT NULL,
	"fallbacks" bigint NOT NULL,
	"degraded" bigint NOT NULL,
	"cost_usd" numeric(18, 9) NOT NULL,
	"latency_counts" jsonb NOT NULL,
	CONSTRAINT "decision_rollups_bucket_start_tenant_id_traffic_class_route_id_model_tier_pk" PRIMARY KEY("bucket_start","tenant_id","traffic_class","route_id","model","tier")
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"traffic_class" text NOT NULL,
	"policy_version" integer NOT NULL,
	"outcome" text NOT NULL,
	"sensitive" boolean NOT NULL,
	"original_route_id" text,
	"final_route_id" text,
	"final_tier" integer,
	"degraded" boolean NOT NULL,
	"degraded_reasons" text[] NOT NULL,
	"error_code" text,
	"budget_band" text NOT NULL,
	"total_latency_ms" integer NOT NULL,
	"total_cost_usd" numeric(18, 9) NOT NULL,
	"input_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"attempt_count" integer NOT NULL,
	"user_id" text,
	"app_id" text,
	"feature_id" text,
	"workflow_id" text,
	"job_id" text,
	"prompt_hash" text,
	"prompt_chars" integer,
	"content" jsonb,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"decision_id" text NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text,
	"role" text NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"actor_key_id" uuid,
	"actor_role" text NOT NULL,
	"tenant_id" text,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"details" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"content_logging" boolean DEFAULT false NOT NULL,
	"batch_paused" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb NOT NULL,
	"status" text DEFAULT 'published' NOT NULL,
	"note" text,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_versions_scope_version" UNIQUE("scope","version")
);
--> statement-breakpoint
CREATE TABLE "alert_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rule_id" text NOT NULL,
	"rule_name" text NOT NULL,
	"tenant_id" text,
	"severity" text NOT NULL,
	"state" text NOT NULL,
	"metric" text NOT NULL,
	"subject" text NOT NULL,
	"value" numeric,
	"threshold" numeric NOT NULL,
	"message" text NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text,
	"name" text NOT NULL,
	"metric" text NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"window_ms" integer NOT NULL,
	"comparator" text NOT NULL,
	"threshold" numeric NOT NULL,
	"min_sample" integer DEFAULT 0 NOT NULL,
	"cooldown_ms" integer DEFAULT 0 NOT NULL,
	"severity" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"decision_id" text NOT NULL,
	"request" jsonb NOT NULL,
	"reason" text NOT NULL,
	"result" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error_code" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"prompt" text,
	"candidates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"answer" text,
	"candidate_index" integer,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "review_items_job_id_unique" UNIQUE("job_id")
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"scope" text NOT NULL,
	"subject_id" text NOT NULL,
	"requests_per_minute" integer,
	"tokens_per_minute" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rate_limits_scope_subject_id_pk" PRIMARY KEY("scope","subject_id"),
	CONSTRAINT "rate_limits_positive" CHECK (coalesce("rate_limits"."requests_per_minute", 1) > 0 and coalesce("rate_limits"."tokens_per_minute", 1) > 0)
);
--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "spend_ledger_tenant_time_idx" ON "spend_ledger" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "decision_rollups_time_idx" ON "decision_rollups" USING btree ("bucket_start");--> statement-breakpoint
CREATE INDEX "decisions_tenant_time_idx" ON "decisions" USING btree ("tenant_id","started_at");--> statement-breakpoint
CREATE INDEX "decisions_time_idx" ON "decisions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "decisions_tenant_class_time_idx" ON "decisions" USING btree ("tenant_id","traffic_class","started_at");--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id") WHERE "api_keys"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "audit_log_created_idx" ON "audit_log" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "policy_versions_scope_idx" ON "policy_versions" USING btree ("scope");--> statement-breakpoint
CREATE INDEX "alert_events_time_idx" ON "alert_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "alert_events_tenant_time_idx" ON "alert_events" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "jobs_tenant_status_idx" ON "jobs" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "jobs_status_created_idx" ON "jobs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "review_items_status_created_idx" ON "review_items" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "review_items_tenant_status_idx" ON "review_items" USING btree ("tenant_id","status");