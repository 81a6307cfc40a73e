import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

// The only file that imports recharts: pages describe series, this file draws them with labelled axes and units.

export const SERIES_COLOURS = ['#2563eb', '#f59e0b', '#dc2626', '#16a34a', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];

export interface Series {
  key: string;
  label: string;
  colour?: string;
}

interface ChartFrameProps {
  /** Accessible name of the chart (also the figure caption). */
  title: string;
  /** Y axis label including the unit, e.g. "requests" or "latency (ms)". */
  yLabel: string;
  /** X axis label including the unit. */
  xLabel: string;
  height?: number;
}

export interface TimeSeriesChartProps extends ChartFrameProps {
  kind: 'stacked-area' | 'line';
  /** Rows with `t` (epoch ms) and one numeric field per series key. */
  data: Array<Record<string, number> & { t: number }>;
  series: Series[];
  formatY?: (v: number) => string;
}

const timeTick = (t: number) => new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
// Past a day, HH:MM alone is ambiguous: add the date.
const dayTimeTick = (t: number) =>
  new Date(t).toLocaleString('en-GB', { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit' });

function colourOf(s: Series, i: number): string {
  return s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length]!;
}

/** Stacked areas (shares of a whole, e.g. tier activation) or lines (independent series) over time. */
export function TimeSeriesChart({
  title,
  yLabel,
  xLabel,
  height = 240,
  kind,
  data,
  series,
  formatY,
}: TimeSeriesChartProps) {
  const spanMs = data.length > 1 ? data[data.length - 1]!.t - data[0]!.t : 0;
  const axes = [
    <CartesianGrid key="grid" strokeDasharray="3 3" />,
    <XAxis
      key="x"
      dataKey="t"
      type="number"
      scale="time"
      domain={['dataMin', 'dataMax']}
      tickFormatter={spanMs > 86_400_000 ? dayTimeTick : timeTick}
      label={{ value: xLabel, position: 'insideBottom', offset: -4 }}
      height={40}
    />,
    <YAxis
      key="y"
      tickFormatter={formatY}
      label={{ value: yLabel, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }}
      width={88}
    />,
    <Tooltip
      key="tip"
      labelFormatter={(t) => new Date(Number(t)).toLocaleString('en-GB')}
      formatter={(v) => (formatY ? formatY(Number(v)) : v)}
    />,
    <Legend key="legend" verticalAlign="top" height={28} itemSorter={null} />,
  ];
  return (
    <figure className="chart" role="img" aria-label={title} data-points={data.length}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={height}>
        {kind === 'stacked-area' ? (
          <AreaChart data={data} margin={{ top: 4, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {series.map((s, i) => (
              <Area
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stackId="1"
                stroke={colourOf(s, i)}
                fill={colourOf(s, i)}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        ) : (
          <LineChart data={data} margin={{ top: 4, right: 16, bottom: 8, left: 8 }}>
            {axes}
            {series.map((s, i) => (
              <Line
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.label}
                stroke={colourOf(s, i)}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        )}
      </ResponsiveContainer>
    </figure>
  );
}

export interface CategoryBarChartProps extends ChartFrameProps {
  /** One row per category (`name`), one numeric field per series key. */
  data: Array<Record<string, number | string> & { name: string }>;
  series: Series[];
  formatY?: (v: number) => string;
}

/** Bars per category (model, tenant, route), e.g. p95 latency by model. */
export function CategoryBarChart({
  title,
  yLabel,
  xLabel,
  height = 240,
  data,
  series,
  formatY,
}: CategoryBarChartProps) {
  return (
    <figure className="chart" role="img" aria-label={title} data-points={data.length}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} margin={{ top: 4, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="name" label={{ value: xLabel, position: 'insideBottom', offset: -4 }} height={40} />
          <YAxis
            tickFormatter={formatY}
            label={{ value: yLabel, angle: -90, position: 'insideLeft', style: { textAnchor: 'middle' } }}
            width={88}
          />
          <Tooltip formatter={(v) => (formatY ? formatY(Number(v)) : v)} />
          <Legend verticalAlign="top" height={28} itemSorter={null} />
          {series.map((s, i) => (
            <Bar key={s.key} dataKey={s.key} name={s.label} fill={colourOf(s, i)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
