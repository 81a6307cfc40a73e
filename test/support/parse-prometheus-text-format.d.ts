// The package ships no types; this covers the parts the monitoring tests read.
declare module 'parse-prometheus-text-format' {
  /** One sample: `value` for counters and gauges; `buckets`, `count`, `sum` for histograms. Numbers stay text. */
  export interface PrometheusSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: PrometheusSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
