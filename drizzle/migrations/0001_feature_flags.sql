CREATE TABLE "feature_flags" (
	"id" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"route_id" text,
	"tier" integer,
	"traffic_class" text,
	"enabled" boolean NOT NULL,
	"reason" text NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feature_flags_subject" CHECK (("feature_flags"."scope" = 'route' and "feature_flags"."route_id" is not null and "feature_flags"."tier" is null and "feature_flags"."traffic_class" is null) or ("feature_flags"."scope" = 'tier' and "feature_flags"."route_id" is null and "feature_flags"."tier" >= 0))
);
