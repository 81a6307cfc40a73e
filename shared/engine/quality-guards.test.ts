import { describe, expect, it } from 'vitest';
import type { ProviderResult } from './ports.js';
import { checkQuality, confidenceOf, type QualityGuards } from './quality-guards.js';

const answer = (extra: Partial<ProviderResult> = {}): ProviderResult => ({
  content: 'Paris is the capital of France.',
  toolCalls: [],
  finishReason: 'stop',
  usage: { inputTokens: 12, outputTokens: 8 },
  ...extra,
});

const all: QualityGuards = { nonEmpty: true, rejectTruncated: true, rejectRefusal: true };
const none: QualityGuards = { nonEmpty: false, rejectTruncated: false, rejectRefusal: false };
const toolCall = { id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' };

const personSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
    address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  required: ['name', 'age'],
};

describe('checkQuality', () => {
  it('passes a normal answer', () => {
    expect(checkQuality(answer(), all)).toBeUndefined();
  });

  describe('nonEmpty', () => {
    it('rejects blank content without tool calls', () => {
      const failure = checkQuality(answer({ content: '  \n ' }), all);
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('empty answer') });
    });

    it('accepts blank content with tool calls', () => {
      expect(
        checkQuality(answer({ content: '', toolCalls: [toolCall], finishReason: 'tool_calls' }), all),
      ).toBeUndefined();
    });

    it('lets an empty answer through when the guard is off', () => {
      expect(checkQuality(answer({ content: '' }), none)).toBeUndefined();
    });
  });

  describe('rejectTruncated', () => {
    it("rejects finish reason 'length'", () => {
      const failure = checkQuality(answer({ finishReason: 'length' }), all);
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('truncated') });
    });

    it('lets a truncated answer through when the guard is off', () => {
      expect(checkQuality(answer({ finishReason: 'length' }), { ...all, rejectTruncated: false })).toBeUndefined();
    });

    it('reports truncated JSON as truncated rather than invalid', () => {
      const failure = checkQuality(answer({ content: '{"name":"Ada","ag', finishReason: 'length' }), all, personSchema);
      expect(failure?.message).toContain('truncated');
    });
  });

  describe('rejectRefusal', () => {
    it("rejects finish reason 'refusal'", () => {
      const failure = checkQuality(answer({ finishReason: 'refusal' }), all);
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('refused') });
    });

    it('rejects a non-empty refusal field and quotes it', () => {
      const failure = checkQuality(answer({ content: '', refusal: "I can't help with that." }), all);
      expect(failure?.kind).toBe('low_quality');
      expect(failure?.message).toContain("I can't help with that.");
    });

    it('ignores a blank refusal field', () => {
      expect(checkQuality(answer({ refusal: '  ' }), all)).toBeUndefined();
    });

    it('lets a refusal through when the guard is off', () => {
      expect(
        checkQuality(answer({ finishReason: 'refusal', refusal: 'no' }), { ...all, rejectRefusal: false }),
      ).toBeUndefined();
    });
  });

  describe('responseSchema', () => {
    it('accepts an answer that matches the schema', () => {
      const content = JSON.stringify({ name: 'Ada', age: 36, address: { city: 'London' } });
      expect(checkQuality(answer({ content }), all, personSchema)).toBeUndefined();
    });

    it('rejects an answer that is not valid JSON', () => {
      const failure = checkQuality(answer({ content: 'Sure! Here is the JSON: {' }), all, personSchema);
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('not valid JSON') });
    });

    it('rejects a mismatch and names the path of the first error', () => {
      const content = JSON.stringify({ name: 'Ada', age: 'thirty-six' });
      const failure = checkQuality(answer({ content }), all, personSchema);
      expect(failure?.kind).toBe('low_quality');
      expect(failure?.message).toContain('does not match responseSchema');
      expect(failure?.message).toContain('path=/age');
      expect(failure?.message).toContain('must be integer');
    });

    it('names the missing property of a nested required error', () => {
      const content = JSON.stringify({ name: 'Ada', age: 36, address: {} });
      expect(checkQuality(answer({ content }), all, personSchema)?.message).toContain('path=/address/city');
    });

    it('names the root when the whole answer has the wrong type', () => {
      expect(checkQuality(answer({ content: '[1,2]' }), all, personSchema)?.message).toContain('path=/,');
    });

    it('does not schema-check an answer made of tool calls', () => {
      const result = answer({ content: 'calling a tool', toolCalls: [toolCall], finishReason: 'tool_calls' });
      expect(checkQuality(result, all, personSchema)).toBeUndefined();
    });

    it('reuses one compiled validator for the same schema object', () => {
      const schema = { type: 'object', required: ['ok'] };
      expect(checkQuality(answer({ content: '{"ok":true}' }), all, schema)).toBeUndefined();
      expect(checkQuality(answer({ content: '{}' }), all, schema)?.message).toContain('path=/ok');
      expect(checkQuality(answer({ content: '{"ok":1}' }), all, schema)).toBeUndefined();
    });

    it('accepts distinct schema objects that share an $id', () => {
      const make = () => ({ $id: 'https://example.test/answer', type: 'object', required: ['ok'] });
      expect(checkQuality(answer({ content: '{"ok":1}' }), all, make())).toBeUndefined();
      expect(checkQuality(answer({ content: '{}' }), all, make())?.message).toContain('path=/ok');
    });

    it('validates recursive schemas', () => {
      const tree = {
        type: 'object',
        properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
        required: ['name'],
      };
      const good = JSON.stringify({ name: 'root', children: [{ name: 'leaf', children: [] }] });
      const bad = JSON.stringify({ name: 'root', children: [{ children: [] }] });
      expect(checkQuality(answer({ content: good }), all, tree)).toBeUndefined();
      expect(checkQuality(answer({ content: bad }), all, tree)?.message).toContain('path=/children/0/name');
    });

    it('tolerates vendor keywords and unknown formats in the schema', () => {
      const schema = { type: 'object', strict: true, properties: { at: { type: 'string', format: 'date-time' } } };
      expect(checkQuality(answer({ content: '{"at":"2026-01-01T00:00:00Z"}' }), all, schema)).toBeUndefined();
    });

    it('reports a schema that cannot be compiled instead of throwing', () => {
      const failure = checkQuality(answer({ content: '{}' }), all, { type: 'no-such-type' });
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('cannot be compiled') });
    });

    it('rejects a schema claiming a meta-schema $id and keeps validating later schemas', () => {
      const hostile = { $id: 'http://json-schema.org/draft-07/schema#', type: 'object' };
      expect(checkQuality(answer({ content: '{}' }), all, hostile)?.message).toContain('reserved');
      expect(checkQuality(answer({ content: '{"ok":1}' }), all, { type: 'object', required: ['ok'] })).toBeUndefined();
    });
  });

  describe('minConfidence', () => {
    it('rejects an answer whose mean token probability is below the minimum', () => {
      const failure = checkQuality(answer({ tokenLogprobs: [Math.log(0.3), Math.log(0.3)] }), {
        ...all,
        minConfidence: 0.5,
      });
      expect(failure).toMatchObject({ kind: 'low_quality', message: expect.stringContaining('confidence=0.300') });
    });

    it('accepts an answer at or above the minimum', () => {
      const result = answer({ tokenLogprobs: [Math.log(0.9), Math.log(0.8)] });
      expect(checkQuality(result, { ...all, minConfidence: 0.8 })).toBeUndefined();
    });

    it('skips the check when the provider returned no log-probabilities', () => {
      expect(checkQuality(answer(), { ...all, minConfidence: 0.99 })).toBeUndefined();
      expect(checkQuality(answer({ tokenLogprobs: [] }), { ...all, minConfidence: 0.99 })).toBeUndefined();
    });

    it('ignores log-probabilities when no minimum is set', () => {
      expect(checkQuality(answer({ tokenLogprobs: [Math.log(0.01)] }), all)).toBeUndefined();
    });
  });
});

describe('confidenceOf', () => {
  it('is exp of the mean log-probability', () => {
    expect(confidenceOf([Math.log(0.5), Math.log(0.5)])).toBeCloseTo(0.5, 10);
    expect(confidenceOf([0, Math.log(0.25)])).toBeCloseTo(0.5, 10);
  });

  it('is undefined without log-probabilities', () => {
    expect(confidenceOf(undefined)).toBeUndefined();
    expect(confidenceOf([])).toBeUndefined();
  });

  it('is 0 when a token had probability 0', () => {
    expect(confidenceOf([0, -Infinity])).toBe(0);
  });
});
