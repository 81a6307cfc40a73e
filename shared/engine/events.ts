import type { AttemptRecord, BreakerState, Decision } from '../contracts/decision.js';
import type { BudgetBand } from '../contracts/budget.js';

export type Listener<T> = (event: T) => void;
export interface Disposable {
  dispose(): void;
}

/** A typed event: call it with a listener to subscribe; the result unsubscribes. */
export interface Event<T> {
  (listener: Listener<T>): Disposable;
}

/** A minimal typed emitter in the style of cockatiel's `EventEmitter`. */
export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  get size(): number {
    return this.listeners.size;
  }

  emit(value: T): void {
    // A listener that throws must not break the request that emitted the event.
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch {
        /* listeners own their errors */
      }
    }
  }
}

export interface FallbackEvent {
  decisionId: string;
  fromTier: number;
  toTier: number;
  fromRouteId: string | null;
  reason: string;
}

export interface BreakEvent {
  routeId: string;
  from: BreakerState;
  to: BreakerState;
  reason: string | null;
  atMs: number;
}

export interface BudgetDeniedEvent {
  decisionId: string;
  tenantId: string;
  budget: 'monthly' | 'prepaid' | 'daily' | 'retry' | 'band';
  band: BudgetBand;
}

/** Every event the engine emits; the server turns them into logs, metrics and alerts. */
export interface EngineEvents {
  onAttempt: Event<{ decisionId: string; attempt: AttemptRecord }>;
  onFallback: Event<FallbackEvent>;
  onBreak: Event<BreakEvent>;
  onBudgetDenied: Event<BudgetDeniedEvent>;
  onDecision: Event<Decision>;
}
