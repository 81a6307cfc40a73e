import { randomUUID } from 'node:crypto';
import { demoConfig } from './config.js';
import { createProviderRegistry } from './providers/registry.js';
import { systemClock } from './system-clock.js';
import {
  CompletionRequestSchema,
  createFallbackEngine,
  createMemoryBudgetStore,
  createMemoryResponseCache,
  isBackstopError,
  type CompletionResult,
  type TrafficClass,
} from '../shared/index.js';

// The engine demo `npm start` runs until the GraphQL server lands: a scripted outage against the built-in simulator.
const config = demoConfig();
const registry = await createProviderRegistry(config.providers, { simulatorSeed: 1 });
const sim = registry.simulator!;
const engine = createFallbackEngine({
  clock: systemClock,
  random: Math.random,
  newId: randomUUID,
  routes: config.routes,
  providers: registry.resolve,
  breakerOptions: { cooldownMs: 1_000 },
  budgetStore: createMemoryBudgetStore({ clock: systemClock }),
  cache: createMemoryResponseCache({ clock: systemClock }),
});
engine.events.onBreak((e) => console.log(`  breaker ${e.routeId}: ${e.from} -> ${e.to} (${e.reason})`));

const ask = (trafficClass: TrafficClass, content: string) =>
  CompletionRequestSchema.parse({ trafficClass, messages: [{ role: 'user', content }] });

async function show(label: string, trafficClass: TrafficClass, prompt: string) {
  try {
    const r: CompletionResult = await engine.complete({
      tenantId: 'default',
      policy: config.policy,
      request: ask(trafficClass, prompt),
    });
    const flags = r.degraded ? ` degraded(${r.degradedReasons.join(',')})` : '';
    console.log(
      `  ${label.padEnd(34)} ${trafficClass.padEnd(12)} -> ${String(r.routeId).padEnd(16)} tier ${r.tier} attempts ${r.attempts} ${r.latencyMs} ms${flags}`,
    );
  } catch (e) {
    console.log(`  ${label.padEnd(34)} ${trafficClass.padEnd(12)} -> ${isBackstopError(e) ? e.code : String(e)}`);
  }
}

console.log(`Backstop engine demo (simulator at ${sim.url})\n\n1. Healthy providers`);
await show('critical request', 'critical', 'What is the capital of France?');
await show('non-critical request', 'non_critical', 'Summarise the plot of Hamlet.');

console.log('\n2. The premium primary (gpt-4o) starts returning HTTP 500');
sim.setProfile('gpt-4o', { errorRates: { 500: 1 } });
for (let i = 1; i <= 4; i++) await show(`critical request #${i}`, 'critical', `Question ${i}`);

console.log('\n3. Both premium providers down: the budget model answers, flagged uncertain');
sim.setProfile('claude-sonnet-4-20250514', { errorRates: { 529: 1 } });
await show('critical request', 'critical', 'Question 5');

console.log('\n4. A stream that drops mid-way continues on the next tier');
sim.setProfile('claude-3-5-haiku-20241022', { streamDropAfterChunks: 3 });
process.stdout.write('  ');
for await (const e of engine.stream({
  tenantId: 'default',
  policy: config.policy,
  request: ask('non_critical', 'Tell me about lighthouses.'),
})) {
  if (e.type === 'text') process.stdout.write(e.text);
  if (e.type === 'fallback') process.stdout.write(` [${e.fromRouteId} -> ${e.toRouteId}: ${e.reason}, continuing] `);
  if (e.type === 'done') console.log(`\n  (answered by ${e.result.routeId}, ${e.result.latencyMs} ms)`);
}

console.log('\n5. Providers recover; after the cooldown a half-open probe returns traffic to the primary');
sim.clearProfile('gpt-4o');
sim.clearProfile('claude-sonnet-4-20250514');
await new Promise((r) => setTimeout(r, 1_100));
await show('critical request', 'critical', 'Question 6');
await show('critical request', 'critical', 'Question 7');

await registry.close();
console.log('\nNext: npm test runs the suite; see README.md for the policy matrix and configuration.');
