import type { Decision } from '../../shared/contracts/decision.js';
import type { DecisionContext, DecisionSink } from '../../shared/engine/ports.js';
import { contentHash, redact } from './redaction.js';

export interface DecisionExtra {
  promptHash?: string;
  promptChars?: number;
  content?: { prompt: string; answer: string | null };
}

/** The prompt as one text, `role: content` per message: what is hashed, and what review items show. */
export function promptText(request: DecisionContext['request']): string {
  return request.messages.map((m) => `${m.role}: ${m.content ?? ''}`).join('\n');
}

/**
 * Puts the privacy rule in one place: every decision keeps a hash and the size of its prompt; the text itself is kept
 * only for tenants that opted in to content logging, and then redacted.
 */
export function createPrivacySink(
  writer: { record(decision: Decision, extra?: DecisionExtra): void },
  contentLogging: (tenantId: string) => boolean,
): DecisionSink {
  return {
    record(decision, context: DecisionContext) {
      const prompt = promptText(context.request);
      const extra: DecisionExtra = { promptHash: contentHash(prompt), promptChars: prompt.length };
      if (contentLogging(decision.tenantId)) {
        extra.content = {
          prompt: redact(prompt),
          answer: context.answer === undefined ? null : redact(context.answer),
        };
      }
      writer.record(decision, extra);
    },
  };
}
