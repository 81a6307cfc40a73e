import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './domains/completion.js';
import './domains/tenant.js';
import './domains/budget.js';
import './domains/policy.js';
import './domains/route.js';
import './domains/decision.js';
import './domains/metrics.js';
import './domains/alert.js';
import './domains/live-metrics.js';
import './domains/drill.js';
import './domains/decision-feed.js';
import './domains/rate-limit.js';
import './domains/job.js';
import './domains/review.js';
import './domains/what-if.js';
import './domains/feature-flag.js';
import './domains/canary.js';
import './domains/shadow.js';

/** The executable schema: every domain file registers itself on the builder when imported above. */
export const schema = builder.toSchema();

/** The SDL, sorted, as committed in server/graphql/schema.graphql and checked by a snapshot test. */
export const printedSchema = () => printSchema(lexicographicSortSchema(schema));
