import type { Logger } from 'pino';
import type { BackstopServices } from './services/services.js';

/**
 * Makes sure an admin can log in: takes BACKSTOP_ADMIN_KEY when set, else creates a key on the very first start and
 * returns it so that main prints it once (to the terminal, never to the log).
 */
export async function bootstrapAdminKey(
  services: BackstopServices,
  envKey: string | undefined,
  logger: Logger,
): Promise<string | undefined> {
  const { tenants } = services;
  if (envKey) {
    if (!(await tenants.isKnownKey(envKey))) {
      try {
        await tenants.createApiKey(
          null,
          { role: 'admin', tenantId: null, name: 'bootstrap (BACKSTOP_ADMIN_KEY)' },
          envKey,
        );
        logger.info('bootstrap admin key from BACKSTOP_ADMIN_KEY registered');
      } catch (e) {
        // Several instances starting at once with the same key: another one registered it first.
        if (!(await tenants.isKnownKey(envKey))) throw e;
      }
    }
    return undefined;
  }
  if (await tenants.hasAdminKey()) return undefined;
  const { key } = await tenants.createApiKey(null, { role: 'admin', tenantId: null, name: 'bootstrap' });
  logger.info('bootstrap admin key created (printed once on the terminal)');
  return key;
}
