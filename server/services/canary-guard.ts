import type { Logger } from 'pino';
import type { AlertEvent } from '../../shared/contracts/alert.js';
import type { Decision } from '../../shared/contracts/decision.js';
import type { Clock } from '../../shared/engine/ports.js';
import {
  createCanaryHealth,
  describeBreach,
  type CanaryBreach,
  type CanaryHealth,
} from '../../shared/monitoring/canary-health.js';
import type { AlertService } from '../monitoring/alert-service.js';
import type { CanaryService, RunningCanary } from './canary-service.js';
import { GLOBAL_SCOPE } from './policy-store.js';

/** The rule id of automatic canary rollback events (no stored rule: the canary's own thresholds fired). */
export const CANARY_ALERT_RULE_ID = 'canary_rollback';

export interface CanaryGuardOptions {
  canaries: Pick<CanaryService, 'running' | 'rollback'>;
  alerts: Pick<AlertService, 'announce'>;
  clock: Clock;
  newId: () => string;
  logger: Logger;
}

/** Canaries whose counts are kept before ended ones are dropped from memory. */
const PRUNE_ABOVE = 16;

/**
 * Rolls a canary back on its own when its canary arm crosses a threshold (error rate, fallback rate, p95), counting
 * the decisions recorded on this instance: O(1) per decision, off the request's path. The rollback is audited and
 * announced as a critical alert event (`alert:fired`, the console's live alerts and webhooks); other instances stop
 * serving the candidate at their next read of the running canaries.
 * @example const guard = createCanaryGuard({ ... }); engine.events.onDecision((d) => guard.observe(d));
 */
export function createCanaryGuard(options: CanaryGuardOptions) {
  const { canaries, clock, logger } = options;
  const counts = new Map<string, CanaryHealth>();
  const ending = new Map<string, Promise<void>>();

  const alert = (canary: RunningCanary, breach: CanaryBreach, reason: string): AlertEvent => ({
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

  const rollBack = async (canary: RunningCanary, breach: CanaryBreach) => {
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

  return {
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
