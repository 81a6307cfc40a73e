import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ClassPolicy } from '../contracts/policy.js';
import type { Failure } from './failure-kinds.js';
import type { ProviderResult } from './ports.js';

/** The output guards of a class: which bad answers become `low_quality` failures. */
export type QualityGuards = ClassPolicy['quality'];

// strict: false because callers send vendor-flavoured schemas (OpenAI `strict`, unknown formats) that providers
// accept; logger: false because the engine never logs.
const ajv = new Ajv({ strict: false, logger: false });

// Keyed by the schema object itself: a policy or request reuses the same object, and a WeakMap lets it go with it.
const compiled = new WeakMap<object, ValidateFunction | Error>();

/**
 * Checks one answer against the class's guards and the request's `responseSchema`. Returns a `low_quality`
 * Failure naming the first problem, or undefined when the answer is fine.
 */
export function checkQuality(
  result: ProviderResult,
  guards: QualityGuards,
  responseSchema?: Record<string, unknown>,
): Failure | undefined {
  const hasToolCalls = result.toolCalls.length > 0;

  // Refusal first: a refusal usually comes with empty content, and "refused" says more than "empty".
  if (guards.rejectRefusal && (result.finishReason === 'refusal' || (result.refusal ?? '').trim() !== '')) {
    const reason = result.refusal?.trim();
    return lowQuality(reason ? `model refused (refusal=${quote(reason)})` : 'model refused (finish_reason=refusal)');
  }
  if (guards.nonEmpty && result.content.trim() === '' && !hasToolCalls) {
    return lowQuality(`empty answer (finish_reason=${result.finishReason})`);
  }
  // Before the schema check: a cut-off JSON answer is better reported as truncated than as invalid JSON.
  if (guards.rejectTruncated && result.finishReason === 'length') {
    return lowQuality(
      `answer truncated at the token limit (finish_reason=length, outputTokens=${result.usage.outputTokens})`,
    );
  }
  // A tool call is the model's answer to a tool, not the structured answer the schema describes.
  if (responseSchema && !hasToolCalls) {
    const failure = checkSchema(result.content, responseSchema);
    if (failure) return failure;
  }
  if (guards.minConfidence !== undefined) {
    const confidence = confidenceOf(result.tokenLogprobs);
    if (confidence !== undefined && confidence < guards.minConfidence) {
      return lowQuality(
        `answer confidence below minimum (confidence=${confidence.toFixed(3)}, min=${guards.minConfidence})`,
      );
    }
  }
  return undefined;
}

/**
 * Mean token probability of an answer, exp(mean of the log-probabilities), in 0..1.
 * Undefined when there are no log-probabilities to judge by.
 */
export function confidenceOf(tokenLogprobs: number[] | undefined): number | undefined {
  if (!tokenLogprobs || tokenLogprobs.length === 0) return undefined;
  const mean = tokenLogprobs.reduce((sum, lp) => sum + lp, 0) / tokenLogprobs.length;
  const confidence = Math.exp(mean);
  return Number.isNaN(confidence) ? undefined : confidence;
}

function checkSchema(content: string, schema: Record<string, unknown>): Failure | undefined {
  const validate = compile(schema);
  if (validate instanceof Error) {
    // The caller's schema is broken, not the answer: say so rather than blame the model.
    return lowQuality(`responseSchema cannot be compiled (error=${quote(validate.message)})`, validate);
  }
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    return lowQuality(`answer is not valid JSON (error=${quote((error as Error).message)})`, error);
  }
  if (validate(value)) return undefined;
  const first = validate.errors?.[0];
  return lowQuality(
    `answer does not match responseSchema (path=${pathOf(first)}, error=${quote(first?.message ?? 'invalid')})`,
  );
}

function compile(schema: Record<string, unknown>): ValidateFunction | Error {
  const cached = compiled.get(schema);
  if (cached) return cached;
  let entry: ValidateFunction | Error;
  if (isReservedId(schema.$id)) {
    entry = new Error(`$id ${String(schema.$id)} is reserved for a meta-schema`);
  } else {
    try {
      entry = ajv.compile(schema);
    } catch (error) {
      entry = error instanceof Error ? error : new Error(String(error));
    } finally {
      // ajv keeps every schema it has seen (even one that failed) in a Map that holds it strongly, and registers
      // it under its `$id`: per-request schemas would pile up, and a second object with the same `$id` would be
      // rejected as a duplicate. The compiled function stays usable after removal; the WeakMap is our cache.
      ajv.removeSchema(schema);
    }
  }
  compiled.set(schema, entry);
  return entry;
}

// removeSchema also drops ajv's own entry under the schema's `$id`: a request claiming a meta-schema's id would
// delete that meta-schema and break validation for every later request in the process.
function isReservedId(id: unknown): boolean {
  if (typeof id !== 'string' || id === '') return false;
  const key = id.replace(/#\/?$/, '');
  return Object.hasOwn(ajv.schemas, key) || Object.hasOwn(ajv.refs, key);
}

// ajv reports `required` on the parent object; naming the missing property points at what is actually absent.
function pathOf(error: ErrorObject | undefined): string {
  if (!error) return '/';
  const missing =
    error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined;
  const path = missing !== undefined ? `${error.instancePath}/${missing}` : error.instancePath;
  return path === '' ? '/' : path;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

function lowQuality(message: string, cause?: unknown): Failure {
  return { kind: 'low_quality', message, ...(cause !== undefined && { cause }) };
}
