// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { bandTicks, DEFAULT_BANDS } from '../pages/budgets-data.js';
import { UsageBar } from './usage-bar.js';

describe('UsageBar', () => {
  afterEach(cleanup);

  it('is a meter of spent + reserved against the limit, with an accessible name and value text', () => {
    render(<UsageBar label="Acme monthly budget used" spentUsd={600} reservedUsd={50} limitUsd={1000} ticks={[]} />);
    const meter = screen.getByRole('meter', { name: 'Acme monthly budget used' });
    expect(meter.getAttribute('aria-valuenow')).toBe('650');
    expect(meter.getAttribute('aria-valuemin')).toBe('0');
    expect(meter.getAttribute('aria-valuemax')).toBe('1000');
    expect(meter.getAttribute('aria-valuetext')).toBe('$650.00 of $1,000.00 used (65.0%), $50.00 of it reserved');
    expect((meter.querySelector('.fill') as HTMLElement).style.width).toBe('60%');
    expect((meter.querySelector('.reserved') as HTMLElement).style.width).toBe('5%');
  });

  it('marks the band thresholds with labelled ticks', () => {
    render(<UsageBar label="Budget" spentUsd={0} reservedUsd={0} limitUsd={100} ticks={bandTicks(DEFAULT_BANDS)} />);
    const ticks = [...screen.getByRole('meter').querySelectorAll<HTMLElement>('.band')];
    expect(ticks.map((t) => [t.dataset.band, t.style.left])).toEqual([
      ['downgrade', '70%'],
      ['conserve', '80%'],
      ['critical_only', '95%'],
    ]);
    expect(screen.getByText('Bands: downgrade from 70%, conserve from 80%, critical only from 95%.')).toBeTruthy();
  });

  it('keeps the meter value within its range when spend passes the limit', () => {
    render(<UsageBar label="Budget" spentUsd={1500} reservedUsd={0} limitUsd={1000} ticks={[]} />);
    const meter = screen.getByRole('meter');
    expect(meter.getAttribute('aria-valuenow')).toBe('1000');
    expect(meter.getAttribute('aria-valuetext')).toMatch(/^\$1,500.00 of \$1,000.00 used \(150.0%\)/);
  });
});
