/** Display helpers shared by pages; numbers keep their units in the label, not the value. */

export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  // A demo request costs about $0.000002: show two significant digits rather than $0.0000.
  if (value !== 0 && Math.abs(value) < 0.0001) return `$${value.toPrecision(2)}`;
  const digits = Math.abs(value) < 1 ? 4 : 2;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB')}`;
}

/** Tier index as people say it: primary, fallback 1, ... and "none" for requests that reached no tier. */
export function tierLabel(tier: number | null | undefined): string {
  if (tier === null || tier === undefined || tier < 0) return 'none';
  return tier === 0 ? 'primary' : `fallback ${tier}`;
}
