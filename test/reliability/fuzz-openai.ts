// Bad requests to the OpenAI-compatible endpoint, for fuzz-endpoints.test.ts: each carries a fault the server must
// answer with a 4xx in OpenAI's error envelope, before any completion runs.
import fc from 'fast-check';
import { MAX_INPUT_DEPTH } from '../../server/http/input-limits.js';
import {
  MAX_BODY_BYTES,
  POLLUTERS,
  PROTO_KEYS,
  deepJson,
  headerValue,
  hostileString,
  isKnownModel,
  jsonValue,
  type Known,
  type Probe,
} from './fuzz-values.js';

const CHAT = '/v1/chat/completions';
const VALID_CHAT = '"model":"critical","messages":[{"role":"user","content":"hi"}]';

const raw = (field: string, values: string[]) => fc.constantFrom(...values).map((value) => ({ field, value }));

/** One field of a chat body that makes it invalid, as raw JSON (so that 1e400 and friends survive). */
const chatFault = (known: Known): fc.Arbitrary<{ field: string; value: string; headers?: Record<string, string> }> =>
  fc.oneof(
    raw('max_tokens', ['-1', '0', '1.5', '1e400', '-1e400', '1e15', '"10"', 'true', '[]', '{}']),
    raw('max_completion_tokens', ['-5', '0', '2e6', '1e400', '"many"']),
    raw('temperature', ['-0.5', '2.5', '1e400', '-1e400', '1e308', '"hot"', '[]', '{}', 'true']),
    raw('top_p', ['-1', '1.5', '1e400', '"x"']),
    raw('n', ['2', '0', '-1', '"1"', '1.5', '[1]']),
    raw('stream', ['"yes"', '1', '{}', '[]']),
    raw('stop', ['["a","b","c","d","e"]', '123', '[1]', '{}']),
    raw('tools', ['[{"type":"retrieval"}]', '"x"', '[{"type":"function","function":{"name":5}}]', '[1]', '{}']),
    raw('tool_choice', ['"sometimes"', '{"type":"x"}', '5', '{"type":"function"}']),
    raw('response_format', [
      '{"type":"xml"}',
      '{"type":"json_schema"}',
      '"json"',
      '{"type":"json_schema","json_schema":{"name":""}}',
    ]),
    raw('metadata', ['{"k":5}', '[]', '"m"', '{"k":{"nested":"x"}}']),
    raw('logprobs', ['"yes"', '1']),
    raw('user', ['5', '{}', '"a\\u0000b"']),
    raw('model', ['5', 'null', '[]', '{}', '""', '"critical\\u0000"']),
    hostileString.filter((s) => !isKnownModel(known, s)).map((s) => ({ field: 'model', value: JSON.stringify(s) })),
    fc
      .oneof(
        fc.constant('[]'),
        fc.constantFrom('null', '5', '"hi"', '{}'),
        fc
          .array(
            fc.oneof(
              hostileString
                .filter((r) => !['system', 'developer', 'user', 'assistant', 'tool'].includes(r))
                .map((role) => ({ role, content: 'x' })),
              fc
                .oneof(
                  fc.integer(),
                  fc.boolean(),
                  fc.constant({}),
                  fc.constant([{ type: 'image_url' }]),
                  fc.constant([5]),
                )
                .map((content) => ({ role: 'user', content })),
              fc.constant({ role: 'tool', content: 'x' }),
              fc.constant({ role: 'user', content: 'a\u0000b' }),
              fc.constantFrom(null, 7, 'user', []),
            ),
            { minLength: 1, maxLength: 4 },
          )
          .map((m) => JSON.stringify(m)),
      )
      .map((value) => ({ field: 'messages', value })),
    deepJson(MAX_INPUT_DEPTH, 20_000).map((value) => ({ field: 'extra', value })),
    headerValue
      .filter((v) => v.trim() !== '' && !['true', 'false'].includes(v.trim().toLowerCase()))
      .map((v) => ({ field: 'model', value: '"critical"', headers: { 'x-backstop-sensitive': v } })),
    headerValue
      .filter((v) => v.trim() !== '' && !isKnownModel(known, v.trim()))
      .map((v) => ({ field: 'model', value: JSON.stringify(known.routes[0]), headers: { 'x-backstop-class': v } })),
    headerValue
      .filter((v) => v.trim() !== '' && !known.tenants.has(v.trim()))
      .map((v) => ({ field: 'model', value: '"critical"', headers: { 'x-backstop-tenant': v } })),
  );

/** A plausible chat body: hostile extra fields and prototype keys, and one fault, last (the last duplicate key wins). */
const faultyChat = (known: Known): fc.Arbitrary<Probe> =>
  fc
    .tuple(
      fc.dictionary(hostileString, jsonValue, { maxKeys: 3 }),
      fc.subarray(POLLUTERS),
      chatFault(known),
      fc.constantFrom('admin', 'tenant'),
    )
    .map(([extras, polluters, fault, as]) => {
      const fields = [
        VALID_CHAT,
        ...Object.entries(extras).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`),
      ];
      fields.push(...polluters, `${JSON.stringify(fault.field)}:${fault.value}`);
      return {
        label: `chat body with ${fault.field}=${fault.value.slice(0, 80)} ${JSON.stringify(fault.headers ?? {}).slice(0, 80)}`,
        path: CHAT,
        headers: { 'content-type': 'application/json', ...fault.headers },
        body: `{${fields.join(',')}}`,
        // A tenant key naming another tenant is refused (403) before the tenant is looked up.
        as: fault.headers?.['x-backstop-tenant'] ? 'admin' : (as as Probe['as']),
        status: [400, 404],
      };
    });

/** Bodies that are not a chat request at all: not JSON, not an object, or an object without model and messages. */
const unparseableChat: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => `{${s}`),
      fc.nat({ max: VALID_CHAT.length + 1 }).map((n) => `{${VALID_CHAT}}`.slice(0, n)),
      fc.constantFrom('', 'null', '[]', '"hi"', '42', 'true', "{'model': 'critical'}", '{"model":"critical",}', 'NaN'),
      jsonValue.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
      fc
        .dictionary(fc.oneof(hostileString, fc.constantFrom(...PROTO_KEYS)), jsonValue, { maxKeys: 5 })
        .filter((o) => !('model' in o && 'messages' in o))
        .map((o) => JSON.stringify(o)),
      deepJson(MAX_INPUT_DEPTH + 1, 50_000),
    ),
    fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', ''),
  )
  .map(([body, type]): Probe => ({
    label: `unparseable chat body (${type}): ${body.slice(0, 120)}`,
    path: CHAT,
    headers: type ? { 'content-type': type } : {},
    body,
    status: [400],
  }));

/** Keys that are missing, garbage, revoked, read-only or another tenant's. */
const unauthorisedChat = (known: Known): fc.Arbitrary<Probe> =>
  fc.oneof(
    fc.constant<Probe>({ label: 'no key', path: CHAT, body: `{${VALID_CHAT}}`, as: 'none', status: [401] }),
    fc.constant<Probe>({ label: 'revoked key', path: CHAT, body: `{${VALID_CHAT}}`, as: 'revoked', status: [401] }),
    fc.constant<Probe>({ label: 'viewer key', path: CHAT, body: `{${VALID_CHAT}}`, as: 'viewer', status: [403] }),
    fc
      .tuple(fc.constantFrom('Bearer ', 'Basic ', 'bearer', 'Bearer bk_admin_', 'Token ', ''), headerValue)
      .map(([scheme, token]) => ({
        label: `authorization "${(scheme + token).slice(0, 80)}"`,
        path: CHAT,
        headers: { authorization: scheme + token },
        body: `{${VALID_CHAT}}`,
        as: 'none' as const,
        status: [401],
      })),
    fc.constantFrom(...[...known.tenants].filter((t) => t !== 'acme')).map((other) => ({
      label: `tenant key acting for ${other}`,
      path: CHAT,
      headers: { 'x-backstop-tenant': other },
      body: `{${VALID_CHAT}}`,
      as: 'tenant' as const,
      status: [403],
    })),
  );

/** Bodies over the 1 MiB limit, as a string or as bytes. */
const oversizedChat: fc.Arbitrary<Probe> = fc
  .tuple(fc.integer({ min: MAX_BODY_BYTES + 1, max: 2_500_000 }), fc.boolean())
  .map(([size, bytes]) => {
    const text = `{${VALID_CHAT},"user":"${'u'.repeat(size)}"}`;
    return {
      label: `${text.length}-byte chat body${bytes ? ', as bytes' : ''}`,
      path: CHAT,
      headers: { 'content-type': 'application/json' },
      body: bytes ? new TextEncoder().encode(text) : text,
      status: [413],
    };
  });

/** Other methods and paths under /v1. */
const strayV1 = (known: Known): fc.Arbitrary<Probe> =>
  fc.oneof(
    fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE').map((method) => ({
      label: `${method} ${CHAT}`,
      path: CHAT,
      method,
      status: [404],
    })),
    fc.constantFrom('POST', 'PUT', 'DELETE').map((method) => ({
      label: `${method} /v1/models`,
      path: '/v1/models',
      method,
      body: method === 'DELETE' ? undefined : '{}',
      status: [404],
    })),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((id) => !isKnownModel(known, id))
      .map((id) => ({
        label: `GET /v1/models/${id}`,
        path: `/v1/models/${encodeURIComponent(id)}`,
        method: 'GET',
        status: [404],
      })),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((p) => ({
      label: `POST /v1/${p}`,
      path: `/v1/x-${encodeURIComponent(p)}`,
      body: `{${VALID_CHAT}}`,
      status: [404],
    })),
    fc.constant<Probe>({
      label: 'GET /v1/models without a key',
      path: '/v1/models',
      method: 'GET',
      as: 'none',
      status: [401],
    }),
  );

/** Every kind of bad request to the OpenAI-compatible endpoint. */
export const openAIProbes = (known: Known) => ({
  unauthorised: unauthorisedChat(known),
  unparseable: unparseableChat,
  faulty: faultyChat(known),
  oversized: oversizedChat,
  stray: strayV1(known),
});
