import type { FaultProfile } from '../../../shared/contracts/fault-profile.js';
import { FaultProfileSchema } from '../../../shared/contracts/fault-profile.js';
import type { Random } from '../../../shared/engine/ports.js';
import { createSeededRandom } from '../../../shared/testing/seeded-random.js';
import type { ModelRandoms, SimOutcome } from './faults.js';
import { createModelRandoms } from './faults.js';

/** The profile key that applies to every model without a profile of its own. */
export const DEFAULT_PROFILE_KEY = '*';

/** Requests per model and outcome, so tests can count upstream calls. */
export interface SimulatorStats {
  /** Every completion request received, all models together. */
  total: number;
  models: Record<string, { requests: number; outcomes: Partial<Record<SimOutcome, number>> }>;
}

/**
 * Thrown when `setProfile` gets a profile that does not match `FaultProfileSchema`. `field` is the first bad field's
 * dotted path; `issues` lists every one. (A plain Error: the simulator is test tooling, outside BackstopError's codes.)
 */
export class InvalidFaultProfileError extends Error {
  readonly field: string;
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid fault profile: ${issues.map((i) => `${i.path || 'profile'}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidFaultProfileError';
    this.field = issues[0]?.path ?? '';
  }
}

/** Validates a fault profile, returning it parsed or the issues with dotted field paths. */
export function parseFaultProfile(
  input: unknown,
): { profile: FaultProfile } | { issues: { path: string; message: string }[] } {
  const parsed = FaultProfileSchema.safeParse(input);
  if (parsed.success) return { profile: parsed.data };
  return {
    issues: parsed.error.issues.map((issue) => {
      // Unknown keys are reported on their parent; name the key itself so the console can point at it.
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
      return { path: [...issue.path, ...keys].map(String).join('.'), message: issue.message };
    }),
  };
}

/** Profiles, random streams and counters of one simulator; all mutable at runtime. */
export interface SimulatorState {
  profileFor(model: string): FaultProfile;
  profiles(): Record<string, FaultProfile>;
  /** Validates and stores a profile; throws InvalidFaultProfileError. Returns the parsed profile. */
  setProfile(model: string, profile: unknown): FaultProfile;
  /** Returns false when the model had no profile. */
  clearProfile(model: string): boolean;
  randomsFor(model: string): ModelRandoms;
  /** The stream that ids (`chatcmpl-...`, `msg_...`) are drawn from. */
  idRandom(): Random;
  record(model: string, outcome: SimOutcome): void;
  stats(): SimulatorStats;
  /** Rewinds every random stream to the seed and zeroes the counters; profiles stay. */
  reset(): void;
}

/** @example const state = createSimulatorState(42, { 'sim-standard': { errorRates: { '429': 0.3 } } }); */
export function createSimulatorState(seed: number, initial: Record<string, unknown> = {}): SimulatorState {
  const profiles = new Map<string, FaultProfile>();
  let randoms = new Map<string, ModelRandoms>();
  let ids = createSeededRandom(seed ^ 0x5eed);
  let counters: SimulatorStats = { total: 0, models: {} };

  const state: SimulatorState = {
    profileFor: (model) => profiles.get(model) ?? profiles.get(DEFAULT_PROFILE_KEY) ?? {},
    profiles: () => Object.fromEntries(profiles),
    setProfile(model, input) {
      const parsed = parseFaultProfile(input);
      if ('issues' in parsed) throw new InvalidFaultProfileError(parsed.issues);
      profiles.set(model, parsed.profile);
      return parsed.profile;
    },
    clearProfile: (model) => profiles.delete(model),
    randomsFor(model) {
      let r = randoms.get(model);
      if (!r) randoms.set(model, (r = createModelRandoms(seed, model)));
      return r;
    },
    idRandom: () => ids,
    record(model, outcome) {
      counters.total++;
      const entry = (counters.models[model] ??= { requests: 0, outcomes: {} });
      entry.requests++;
      entry.outcomes[outcome] = (entry.outcomes[outcome] ?? 0) + 1;
    },
    stats: () => structuredClone(counters),
    reset() {
      randoms = new Map();
      ids = createSeededRandom(seed ^ 0x5eed);
      counters = { total: 0, models: {} };
    },
  };
  for (const [model, profile] of Object.entries(initial)) state.setProfile(model, profile);
  return state;
}
