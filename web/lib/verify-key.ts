import type { Session } from './auth.js';

export type KeyCheck = { ok: true; session: Omit<Session, 'logout' | 'key'> } | { ok: false; message: string };

/**
 * Asks the gateway who a key belongs to (`me`). The console is for staff: tenant keys are turned away here with
 * a message, as every admin page would answer FORBIDDEN.
 */
export async function verifyKey(key: string, origin: string = window.location.origin): Promise<KeyCheck> {
  let res: Response;
  try {
    res = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.trim()}` },
      body: JSON.stringify({ query: '{ me { keyId role tenantId } }' }),
    });
  } catch {
    return { ok: false, message: 'The gateway did not answer. Is it running?' };
  }
  const body = (await res.json().catch(() => null)) as {
    data?: { me?: { keyId: string; role: Session['role']; tenantId: string | null } };
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  const me = body?.data?.me;
  if (me) {
    if (me.role === 'tenant')
      return { ok: false, message: 'This is a tenant key. The console needs an admin or viewer key.' };
    return { ok: true, session: { keyId: me.keyId, role: me.role, tenantId: me.tenantId } };
  }
  const code = body?.errors?.[0]?.extensions?.code;
  if (code === 'UNAUTHENTICATED')
    return { ok: false, message: 'That key was not accepted: it is unknown or revoked. Check it and try again.' };
  return { ok: false, message: body?.errors?.[0]?.message ?? `The gateway answered HTTP ${res.status}.` };
}
