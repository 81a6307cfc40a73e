import { describe, expect, it } from 'vitest';
import { isPostgresWriteRace } from './postgres-write-race.js';

const race = Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), {
  stack: `TypeError: Cannot read properties of null (reading 'write')
    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)
    at process.processImmediate (node:internal/timers:483:21)`,
});

describe('isPostgresWriteRace', () => {
  it('recognises postgres.js writing to a socket that closed under it', () => {
    expect(isPostgresWriteRace(race)).toBe(true);
  });

  it('leaves every other error alone, even with the same message', () => {
    expect(isPostgresWriteRace(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(false);
    expect(isPostgresWriteRace({ ...race, message: 'other' })).toBe(false);
    expect(isPostgresWriteRace(null)).toBe(false);
    expect(isPostgresWriteRace('nextWrite')).toBe(false);
  });
});
