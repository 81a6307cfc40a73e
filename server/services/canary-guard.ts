import type { Logger } from 'pino';
import type { AlertEvent } from '../../shared/contracts/alert.js';
import type { Canary } from '../../shared/contracts/canary.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { Clock } from '../../shared/engine/ports.js';
import {
  breachOf,
  createCanaryHealth,
  describeBreach,
  type CanaryBreach,
  type CanaryHealth,
} from '../../shared/monitoring/canary-health.js';
import type { AlertService } from '../monitoring/alert-service.js';
import type { CanaryService } from './canary-service.js';
import { GLOBAL_SCOPE } from './policy-store.js';

/** The rule id of automatic canary rollback events (no stored rule: the canary's own thresholds fired). */
export const CANARY_ALERT_RULE_ID = 'canary_rollback';

export interface CanaryGuardOptions {
  canaries: Pick<CanaryService, 'running' | 'rollback' | 'list' | 'compare'>;
  alerts: Pick<AlertService, 'announce'>;
  clock: Clock;
  newId: () => string;
  logger: Logger;
  /** Time between two reads of every running canary's figures from the decision log, in ms. Defaults to 5 000. */
  checkEveryMs?: number;
}

/** Canaries whose counts are kept before ended ones are dropped from memory. */
const PRUNE_ABOVE = 16;

/**
 * Rolls a canary back on its own when its canary arm crosses a threshold (error rate, fallback rate, p95), counting
 * the decisions recorded on this instance: O(1) per decision, off the request's path. The rollback is audited and
 * announced as a critical alert event (`alert:fired`, the console's live alerts and webhooks); other instances stop
 * serving the candidate at their next read of the running canaries. Each instance counts only what it served, so
 * once started the guard also reads every running canary's figures from the decision log (every instance's
 * decisions, as written) every `checkEveryMs` and applies the same thresholds to them.
 * @example const guard = createCanaryGuard({ ... }); engine.events.onDecision((d) => guard.observe(d)); guard.start();
 */
export function createCanaryGuard(options: CanaryGuardOptions) {
  const { canaries, clock, logger } = options;
  const counts = new Map<string, CanaryHealth>();
  const ending = new Map<string, Promise<void>>();

  const alert = (canary: Canary, breach: CanaryBreach, reason: string): AlertEvent => ({
    id: options.newId(),
    ruleId: CANARY_ALERT_RULE_ID,
    ruleName: 'Canary rolled back',
    tenantId: canary.scope === GLOBAL_SCOPE ? null : canary.scope,
    severity: 'critical',
    state: 'fired',
    metric: breach.metric,
    subject: `canary:${canary.id}`,
    value: breach.value,
    threshold: breach.threshold,
    message: `Canary of ${canary.scope} (version ${canary.candidateVersion}) rolled back automatically: ${reason}`,
    atMs: clock.now(),
  });

  const rollBack = async (canary: Canary, breach: CanaryBreach) => {
    const reason = describeBreach(breach);
    try {
      await canaries.rollback(null, canary.id, reason);
    } catch (e) {
      // Ended meanwhile (an admin, or the guard of another instance): nothing left to announce.
      if ((e as { extensions?: { code?: string } }).extensions?.code === 'CONFLICT') return;
      logger.warn({ err: e, canary: canary.id }, 'canary not rolled back; will try again at the next decision');
      ending.delete(canary.id);
      return;
    }
    logger.warn({ canary: canary.id, scope: canary.scope, reason }, 'canary rolled back automatically');
    await options.alerts
      .announce([alert(canary, breach, reason)])
      .catch((e: unknown) => logger.error({ err: e, canary: canary.id }, 'canary rollback alert not announced'));
  };

  // An ended canary's counts and finished rollback are of no more use; one in flight still reads as running.
  const prune = () => {
    for (const id of [...counts.keys(), ...ending.keys()]) {
      if (!canaries.running(id)) {
        counts.delete(id);
        ending.delete(id);
      }
    }
  };

  /** Applies the thresholds to the decision log's figures of every running canary. Never rejects. */
  const check = async (): Promise<void> => {
    try {
      const running = (await canaries.list({ status: 'running' })).filter(
        (c) => !ending.has(c.id) && (c.maxErrorRate !== null || c.maxFallbackRate !== null || c.maxP95Ms !== null),
      );
      if (running.length === 0) return;
      const figures = await canaries.compare(running.map((c) => c.id));
      for (const canary of running) {
        const arm = figures.get(canary.id)?.canary;
        const breach = arm && breachOf(arm, canary);
        if (breach && !ending.has(canary.id)) ending.set(canary.id, rollBack(canary, breach));
      }
    } catch (e) {
      logger.warn({ err: e }, 'canary figures not read; the next check will try again');
    }
  };

  let cancel: (() => void) | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    cancel = clock.setTimeout(() => void check().then(schedule), options.checkEveryMs ?? 5_000);
  };

  return {
    /** Starts the periodic check of the decision log's figures. */
    start(): void {
      stopped = false;
      schedule();
    },

    /** Stops the periodic check. */
    close(): void {
      stopped = true;
      cancel?.();
    },

    /** Reads the decision log's figures of every running canary now and rolls back those past a threshold. */
    check,

    /** Counts one recorded decision; a canary-arm one may start the rollback of its canary. */
    observe(decision: Decision): void {
      const id = decision.canaryId;
      if (decision.canaryArm !== 'canary' || !id || ending.has(id)) return;
      const canary = canaries.running(id);
      if (!canary) return;
      let health = counts.get(id);
      if (!health) {
        if (counts.size >= PRUNE_ABOVE) prune();
        health = createCanaryHealth();
        counts.set(id, health);
      }
      health.observe(decision);
      const breach = health.breach(canary);
      if (breach) ending.set(id, rollBack(canary, breach));
    },

    /** Resolves when every rollback started so far has finished (for shutdown and tests). */
    async settled(): Promise<void> {
      await Promise.all(ending.values());
    },
  };
}
export type CanaryGuard = ReturnType<typeof createCanaryGuard>;
