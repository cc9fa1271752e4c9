/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests of /metrics. It
 * rejects what Prometheus would reject or mis-read: bad metric or label names, bad escapes,
 * samples before their family's TYPE, a family split in two, duplicate series, histograms
 * whose buckets are not cumulative or whose +Inf bucket differs from _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value '${text}'`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name '${name}'`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
      const c = text[j]!;
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        j += 2;
      } else if (c === '"') {
        j++;
        break;
      } else {
        value += c;
        j++;
      }
    }
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    labels[name] = value;
    if (text[j] === ',') j++;
    else if (j < text.length) throw new Error(`line ${line}: expected ',' after label ${name}`);
    i = j;
  }
  return labels;
}

/** The family a sample name belongs to (histogram/summary suffixes stripped when declared). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const f = families.get(name.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const done = new Set<string>();
  const series = new Set<string>();
  let current: Family | null = null;
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`line ${line}: bad metric name '${name}'`);
      let f = families.get(name!);
      if (!f) {
        if (done.has(name!)) throw new Error(`line ${line}: family ${name} appears twice`);
        f = { name: name!, type: 'untyped', help: '', samples: [] };
        families.set(name!, f);
      }
      if (current && current !== f) done.add(current.name);
      current = f;
      if (kind === 'TYPE') {
        if (f.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest ?? '')) throw new Error(`line ${line}: bad type '${rest}'`);
        f.type = rest as Family['type'];
      } else f.help = rest ?? '';
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(raw);
    if (!m) throw new Error(`line ${line}: cannot parse '${raw}'`);
    const [, name, labelText, valueText] = m;
    const labels = labelText ? parseLabels(labelText, line) : {};
    const f = familyOf(name!, families);
    if (!f) throw new Error(`line ${line}: sample ${name} has no # TYPE`);
    if (f !== current) throw new Error(`line ${line}: sample ${name} is not with the rest of family ${f.name}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.add(key);
    const value = parseValue(valueText!, line);
    if (f.type === 'counter' && (value < 0 || Number.isNaN(value))) throw new Error(`line ${line}: counter ${name} is ${value}`);
    if (f.type === 'histogram' && name!.endsWith('_bucket') && labels.le === undefined) throw new Error(`line ${line}: bucket without le`);
    f.samples.push({ name: name!, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) g.buckets.push([parseValue(le!, 0), s.value]);
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`histogram ${f.name}${key} lacks _count or _sum`);
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.length === 0 || sorted[sorted.length - 1]![0] !== Infinity) throw new Error(`histogram ${f.name}${key} lacks the +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`histogram ${f.name}${key} buckets are not cumulative`);
    if (sorted[sorted.length - 1]![1] !== g.count) throw new Error(`histogram ${f.name}${key}: +Inf bucket ${sorted[sorted.length - 1]![1]} != count ${g.count}`);
  }
}

/** The value of one series (labels must match exactly), or undefined. */
export function value(families: Map<string, Family>, name: string, labels: Record<string, string | number> = {}): number | undefined {
  const f = familyOf(name, families);
  const want = Object.entries(labels).map(([k, v]) => [k, String(v)] as const);
  const s = f?.samples.find((x) => x.name === name && Object.keys(x.labels).length === want.length && want.every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
