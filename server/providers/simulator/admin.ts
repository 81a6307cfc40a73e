import type { SimulatorState } from './state.js';
import { parseFaultProfile } from './state.js';
import type { WireReply } from './wire.js';

/** Path prefix of the admin API. */
export const ADMIN_PREFIX = '/_sim/';

const PROFILE_PATH = /^\/_sim\/profiles\/(.+)$/;

function fail(status: number, message: string, extra: Record<string, unknown> = {}): WireReply {
  return { status, body: { error: { message, ...extra } } };
}

/**
 * Serves the admin API: `GET /_sim/profiles`, `PUT` and `DELETE /_sim/profiles/:model`, `POST /_sim/reset`,
 * `GET /_sim/stats`. `rawBody` is the request body as text (profiles are JSON `FaultProfile`s).
 */
export function handleAdmin(state: SimulatorState, method: string, path: string, rawBody: string): WireReply {
  if (path === '/_sim/profiles' && method === 'GET') return { status: 200, body: { profiles: state.profiles() } };
  if (path === '/_sim/stats' && method === 'GET') return { status: 200, body: state.stats() };
  if (path === '/_sim/reset' && method === 'POST') {
    state.reset();
    return { status: 200, body: { ok: true } };
  }

  const match = PROFILE_PATH.exec(path);
  if (!match) return fail(404, `no admin route ${method} ${path}`);
  let model: string;
  try {
    model = decodeURIComponent(match[1]!);
  } catch {
    return fail(400, 'the model name in the path is not valid percent-encoding', { field: 'model' });
  }

  if (method === 'DELETE') return { status: 200, body: { model, deleted: state.clearProfile(model) } };
  if (method !== 'PUT') return fail(405, `use PUT or DELETE on ${path}`);

  let input: unknown;
  try {
    input = JSON.parse(rawBody || 'null');
  } catch {
    return fail(400, 'the body is not valid JSON', { field: null });
  }
  const parsed = parseFaultProfile(input);
  if ('issues' in parsed) {
    const first = parsed.issues[0]!;
    const where = first.path || 'profile';
    return fail(400, `invalid fault profile: ${where}: ${first.message}`, { field: where, issues: parsed.issues });
  }
  state.setProfile(model, parsed.profile);
  return { status: 200, body: { model, profile: parsed.profile } };
}
