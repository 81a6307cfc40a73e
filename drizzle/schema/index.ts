// The one place drizzle-kit and the client read the schema from.
export * from './tenants.js';
export * from './budgets.js';
export * from './policies.js';
export * from './decisions.js';
export * from './operations.js';
export * from './rate-limits.js';
export * from './feature-flags.js';
export * from './canaries.js';
export * from './shadow-routes.js';
