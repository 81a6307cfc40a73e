import { describe, expect, it } from 'vitest';
import { CompletionRequestSchema, type CompletionRequestInput } from '../contracts/completion.js';
import { ask, createEngineHarness, rejection } from '../testing/engine-harness.js';
import type { CompleteInput } from './fallback-engine.js';

type Harness = ReturnType<typeof createEngineHarness>;

const complete = (h: Harness, request: CompletionRequestInput, extra: Partial<Omit<CompleteInput, 'request'>> = {}) =>
  h.clock.run(
    h.engine.complete({ tenantId: 't1', policy: h.policy, request: CompletionRequestSchema.parse(request), ...extra }),
  );

describe('canary arms', () => {
  it('stamps the canary and arm the caller chose on the decision, and nothing outside a canary', async () => {
    const h = createEngineHarness();
    await complete(h, ask('critical'), { canary: { id: 'canary-1', arm: 'canary' } });
    await complete(h, ask('critical'));
    expect(h.decisions[0]).toMatchObject({ canaryId: 'canary-1', canaryArm: 'canary' });
    expect(h.decisions[1]).not.toHaveProperty('canaryId');
    expect(h.decisions[1]).not.toHaveProperty('canaryArm');
  });

  it('stamps a failed request of the canary arm too, so the guard can count its errors', async () => {
    const h = createEngineHarness();
    for (const id of ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini'])
      h.providers.script(id, ...Array(9).fill({ fail: 'auth' }));
    await rejection(complete(h, ask('critical'), { canary: { id: 'canary-1', arm: 'canary' } }));
    expect(h.decisions[0]).toMatchObject({ outcome: 'failed', canaryId: 'canary-1', canaryArm: 'canary' });
  });
});
