/**
 * Writing the Prometheus text exposition format (version 0.0.4): one `# HELP` and `# TYPE` per
 * family, its samples together, label values escaped (\\, \", \n), histograms as cumulative
 * `_bucket{le=...}` series ending at +Inf plus `_sum` and `_count`.
 */
export type Labels = Readonly<Record<string, string | number>>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels | undefined, extra?: [string, string]): string {
  const parts: string[] = [];
  if (labels) for (const k in labels) parts.push(`${k}="${escapeLabel(String(labels[k]))}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A fixed-bucket histogram (upper bounds in seconds); observe() is a short scan and three adds. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly families = new Set<string>();

  /** Starts a metric family; samples of it must follow before the next family. */
  family(name: string, type: 'counter' | 'gauge' | 'histogram' | 'untyped', help: string): this {
    if (this.families.has(name)) throw new Error(`metric family ${name} written twice`);
    this.families.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  histogram(name: string, h: Histogram, labels?: Labels): this {
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i]!;
      this.lines.push(`${name}_bucket${formatLabels(labels, ['le', formatValue(h.bounds[i]!)])} ${cumulative}`);
    }
    this.lines.push(`${name}_bucket${formatLabels(labels, ['le', '+Inf'])} ${h.count}`);
    this.lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(h.sum)}`);
    this.lines.push(`${name}_count${formatLabels(labels)} ${h.count}`);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}
