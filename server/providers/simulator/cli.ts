import { startSimulator } from './server.js';

// `npm run simulator`: SIM_PORT (default 4010) and SIM_SEED (default 1) pick where it listens and what it replays.
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

const simulator = await startSimulator({ port: readInt('SIM_PORT', 4010), seed: readInt('SIM_SEED', 1) });
console.log(`Backstop simulator listening (url=${simulator.url})`);
console.log(
  `OpenAI: POST ${simulator.url}/v1/chat/completions, Anthropic: POST ${simulator.url}/v1/messages, admin: ${simulator.url}/_sim/profiles`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
