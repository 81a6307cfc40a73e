import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = ['admin', 'viewer', 'tenant'] as const;
export type Role = (typeof ROLES)[number];

/** Makes a new key: `bk_<role>_` + 256 random bits in base64url. Shown once; only its hash is stored. */
export function generateApiKey(role: Role): string {
  return `bk_${role}_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 hex: keys are 256-bit random, so a fast hash is safe and keeps auth off the hot path's budget. */
export function hashApiKey(key: string): string {
  // One-shot crypto.hash: no Hash object per request (about 2.5x faster than createHash here).
  return hash('sha256', key, 'hex');
}

/** The part shown in lists, never enough to use: `bk_tenant_Ab3d…`. */
export function keyPrefix(key: string): string {
  return `${key.slice(0, key.indexOf('_', 3) + 5)}…`;
}

export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads `Authorization: Bearer <key>` (or `x-api-key`, as some OpenAI-compatible clients send). */
export function bearerToken(headers: Headers): string | undefined {
  const auth = headers.get('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || undefined;
  return headers.get('x-api-key')?.trim() || undefined;
}
