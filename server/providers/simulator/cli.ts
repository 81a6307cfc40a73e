import { startSimulator } from './server.js';

// `npm run simulator`, configured by the environment:
//   SIM_PORT        port to listen on; 0 picks a free one. Defaults to 4010.
//   SIM_SEED        seed of every random stream. Defaults to 1.
//   SIM_ZERO_DELAY  1 disables every latency and chunk delay, whatever the profiles say (benchmarks). Defaults to 0.
//   SIM_LATENCY_MS  time to first byte of every model without a profile of its own, in milliseconds (the default
//                   profile `*`, which the admin API can replace). Defaults to none: answer at once.
function readInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer (${name}=${raw})`);
    process.exit(1);
  }
  return value;
}

const latencyMs = readInt('SIM_LATENCY_MS', 0);
const simulator = await startSimulator({
  port: readInt('SIM_PORT', 4010),
  seed: readInt('SIM_SEED', 1),
  zeroDelay: readInt('SIM_ZERO_DELAY', 0) === 1,
  ...(latencyMs > 0 && { profiles: { '*': { latency: { kind: 'fixed', ms: latencyMs } } } }),
});
console.log(`Backstop simulator listening (url=${simulator.url})`);
console.log(
  `OpenAI: POST ${simulator.url}/v1/chat/completions, Anthropic: POST ${simulator.url}/v1/messages, admin: ${simulator.url}/_sim/profiles`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
