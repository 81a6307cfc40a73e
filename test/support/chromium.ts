import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; playwright's own browser download does not work here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether browser tests can run. Without Chromium they are skipped, unless BACKSTOP_REQUIRE_CHROMIUM=1 (CI), where a
 * missing browser fails the run instead of hiding the tests.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.BACKSTOP_REQUIRE_CHROMIUM === '1')
    throw new Error(`BACKSTOP_REQUIRE_CHROMIUM=1 but ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  return false;
}

/** Headless Chromium with the flags this closed network needs (no background connections, no first-run). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
