import { formatPercent, formatUsd } from '../lib/format.js';
import { bandLabel, usageFill, type BandTick } from '../pages/budgets-data.js';

export interface UsageBarProps {
  /** Accessible name, e.g. "Acme monthly budget used". */
  label: string;
  spentUsd: number;
  /** Held by requests in flight; drawn after the spend in a lighter colour. */
  reservedUsd: number;
  limitUsd: number;
  /** Band thresholds, drawn as tick marks at their fraction of the limit. */
  ticks: BandTick[];
}

const tickLabelRow = { position: 'relative', height: '1.1rem', fontSize: '0.75rem', color: 'var(--muted)' } as const;

/** Spent + reserved against a monthly limit, as a meter with the budget bands marked on it. */
export function UsageBar({ label, spentUsd, reservedUsd, limitUsd, ticks }: UsageBarProps) {
  const fill = usageFill(spentUsd, reservedUsd, limitUsd);
  const used = spentUsd + reservedUsd;
  const max = Math.max(limitUsd, 0);
  const valueText =
    `${formatUsd(used)} of ${formatUsd(limitUsd)} used` +
    (fill.usedFraction === null ? '' : ` (${formatPercent(fill.usedFraction)})`) +
    `, ${formatUsd(reservedUsd)} of it reserved`;
  return (
    <div>
      {/* A meter's children are presentational, so the tick labels are repeated in the legend below. */}
      <div
        className="usage-bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={Math.min(used, max)}
        aria-valuetext={valueText}
      >
        <div
          className="fill"
          style={{ width: `${fill.spentPercent}%`, ...(fill.overLimit && { background: 'var(--bad)' }) }}
        />
        <div className="reserved" style={{ left: `${fill.spentPercent}%`, width: `${fill.reservedPercent}%` }} />
        {ticks.map((t) => (
          <span
            key={t.band}
            className="band"
            data-band={t.band}
            style={{ left: `${t.fraction * 100}%` }}
            title={`${bandLabel(t.band)} from ${formatPercent(t.fraction, 0)}`}
          />
        ))}
      </div>
      <div aria-hidden="true" style={tickLabelRow}>
        {ticks.map((t) => (
          <span
            key={t.band}
            style={{ position: 'absolute', left: `${t.fraction * 100}%`, transform: 'translateX(-50%)' }}
          >
            {formatPercent(t.fraction, 0)}
          </span>
        ))}
      </div>
      <p className="notice" style={{ margin: 0, fontSize: '0.8rem' }}>
        Bands: {ticks.map((t) => `${bandLabel(t.band)} from ${formatPercent(t.fraction, 0)}`).join(', ')}.
      </p>
    </div>
  );
}
