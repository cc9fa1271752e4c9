/**
 * Turns a run's samples into the Markdown that `npm run bench` prints (and bench/RESULTS.md
 * carries): the machine and its limits, one table per workload with every broker side by side
 * (median and [min–max] over the interleaved repetitions) and the ratios, and the goals of
 * issues 8 and 10 checked against this run.
 */
import type { BrokerKind } from './brokers.js';
import { SHORT_LABEL } from './brokers.js';
import { fmt, summarize, type Summary } from './common.js';
import type { Sample } from './context.js';
import type { Limits } from '../limits.js';

export interface RunRecord {
  env: Record<string, unknown> & { date: string; node: string; cpus: number; cpuModel: string; memGb: number; kernel: string; disk: string; pressureAvgPct: number | null; loadBefore: string; loadAfter: string };
  versions: Record<string, string>;
  options: Record<string, unknown>;
  limits: Limits | null;
  samples: Sample[];
  notes: string[];
  errors: string[];
  durationSecs: number;
  command: string;
}

const BROKERS: BrokerKind[] = ['runnel', 'runnel-nofsync', 'mock', 'kafka'];

type Key = string;
const key = (w: string, c: string, m: string, cl: string): Key => `${w}\u0000${c}\u0000${m}\u0000${cl}`;

export class Table {
  private readonly by = new Map<string, Sample[]>();
  constructor(readonly samples: Sample[]) {
    for (const s of samples) {
      const k = `${key(s.workload, s.case, s.metric, s.client)}\u0000${s.broker}`;
      let l = this.by.get(k);
      if (!l) this.by.set(k, (l = []));
      l.push(s);
    }
  }
  get(w: string, c: string, m: string, client: string, broker: string): Summary | null {
    return summarize((this.by.get(`${key(w, c, m, client)}\u0000${broker}`) ?? []).map((s) => s.value));
  }
  /** The first case of a workload whose label starts with `prefix`. */
  findCase(w: string, prefix: string): string | undefined {
    return this.samples.find((s) => s.workload === w && s.case.startsWith(prefix))?.case;
  }
  rows(w: string): Array<{ c: string; m: string; client: string; better: string }> {
    const seen = new Set<string>();
    const out = [];
    for (const s of this.samples) {
      if (s.workload !== w || s.broker === 'limit') continue;
      const k = key(s.workload, s.case, s.metric, s.client);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ c: s.case, m: s.metric, client: s.client, better: s.better });
    }
    return out;
  }
}

function cell(s: Summary | null): string {
  if (!s) return '–';
  if (s.n === 1 || fmt(s.min) === fmt(s.max)) return fmt(s.median);
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
}

function ratio(a: Summary | null, b: Summary | number | null | undefined): string {
  const bv = typeof b === 'number' ? b : b?.median;
  if (!a || bv === undefined || bv === null || !Number.isFinite(bv) || bv === 0) return '–';
  const r = a.median / bv;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

/** The limit a metric is compared against, if any, and its label. */
function limitFor(r: RunRecord, w: string, c: string, m: string): { value: number; label: string } | null {
  const l = r.limits;
  if (!l) return null;
  if (w === 'W2' && m.endsWith('MB/s')) return { value: l.loopbackNodeMBps, label: 'loopback (Node pair)' };
  if (w === 'W4' && m.startsWith('delivered')) return { value: l.loopbackNodeMBps, label: 'loopback (Node pair)' };
  if (w === 'W1' && m === 'total s') return { value: (5000 * l.fsyncAppendMicros) / 1e6, label: '5,000 fsync’d appends' };
  return null;
}

const WORKLOAD_TITLE: Record<string, string> = {
  W1: 'W1 sequential durable (lower is better)',
  W2: 'W2 throughput (higher is better)',
  W3: 'W3 end-to-end latency (lower is better)',
  W4: 'W4 fan-out',
  W5: 'W5 partitions',
  W6: 'W6 startup and idle memory (lower is better)',
};

export function workloadTable(r: RunRecord, t: Table, w: string): string[] {
  const rows = t.rows(w);
  if (rows.length === 0) return [];
  const present = BROKERS.filter((b) => t.samples.some((s) => s.workload === w && s.broker === b));
  const hasNode = t.samples.some((s) => s.workload === w && s.broker === 'node');
  const cols = [...present.map((b) => SHORT_LABEL[b]), ...(hasNode ? ['bare Node'] : [])];
  const ratioCols: Array<[string, BrokerKind, BrokerKind]> = [];
  if (present.includes('runnel') && present.includes('mock')) ratioCols.push(['Runnel / mock', 'runnel', 'mock']);
  if (present.includes('runnel') && present.includes('kafka')) ratioCols.push(['Runnel / Kafka', 'runnel', 'kafka']);
  if (present.includes('runnel-nofsync') && present.includes('kafka')) ratioCols.push(['nofsync / Kafka', 'runnel-nofsync', 'kafka']);
  const withLimit = rows.some((x) => limitFor(r, w, x.c, x.m) !== null);
  const head = ['case', 'metric', 'client', ...cols, ...ratioCols.map((x) => x[0]), ...(withLimit ? ['limit', 'Runnel / limit'] : [])];
  const out = [`### ${WORKLOAD_TITLE[w] ?? w}`, '', `| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`];
  for (const x of rows) {
    const vals = present.map((b) => t.get(w, x.c, x.m, x.client, b));
    const node = hasNode ? [cell(t.get(w, x.c, x.m, x.client, 'node'))] : [];
    const ratios = ratioCols.map(([, a, b]) => ratio(t.get(w, x.c, x.m, x.client, a), t.get(w, x.c, x.m, x.client, b)));
    const lim = limitFor(r, w, x.c, x.m);
    const limCells = withLimit ? (lim ? [fmt(lim.value), ratio(t.get(w, x.c, x.m, x.client, 'runnel'), lim.value)] : ['', '']) : [];
    out.push(`| ${[x.c, x.m, x.client, ...vals.map(cell), ...node, ...ratios, ...limCells].join(' | ')} |`);
  }
  out.push('');
  return out;
}

/** One row per workload's key figures, every broker side by side, with the ratios. */
export function headline(r: RunRecord, t: Table): string[] {
  const pick: Array<[string, string, string, string, string]> = [
    // [workload, case prefix, case suffix, metric, client]
    ['W1', '', '', 'total s', 'librdkafka'],
    ['W2', '100 B', 'acks=1', 'produce msg/s', 'librdkafka'],
    ['W2', '100 B', 'acks=1', 'consume msg/s', 'librdkafka'],
    ['W2', '1 KiB', 'acks=1', 'produce MB/s', 'librdkafka'],
    ['W2', '1 KiB', 'acks=1', 'consume MB/s', 'librdkafka'],
    ['W2', '1 KiB', 'acks=-1', 'produce MB/s', 'librdkafka'],
    ['W2', '1 KiB', 'acks=1', 'produce MB/s', 'Java (Kafka perf tools)'],
    ['W2', '1 KiB', 'acks=1', 'produce MB per broker CPU-second', 'librdkafka'],
    ['W3', '', '', 'p99 ms', 'librdkafka'],
    ['W3', '', '', 'p99.9 ms', 'librdkafka'],
    ['W4', '', '16 groups', 'delivered MB/s (all groups)', 'librdkafka'],
    ['W5', '10,000', '', 'create topic ms', 'librdkafka'],
    ['W5', '10,000', '', 'RSS after produce MB', 'librdkafka'],
    ['W5', '10,000', '', 'clean restart → first answer ms', 'librdkafka'],
    ['W6', '', '', 'start → first answer ms', '–'],
    ['W6', '', '', 'idle RSS MB', '–'],
  ];
  const out = ['| workload | case | metric | Runnel | Runnel nofsync | mock | Kafka | limit | Runnel / limit | Runnel / mock | Runnel / Kafka |', '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const [w, pre, suf, m, client] of pick) {
    const c = t.samples.find((s) => s.workload === w && s.case.startsWith(pre) && s.case.endsWith(suf) && s.metric === m && s.client === client)?.case;
    if (!c) continue;
    const g = (b: string): Summary | null => t.get(w, c, m, client, b);
    const lim = limitFor(r, w, c, m);
    const metric = client === 'librdkafka' || client === '–' ? m : `${m} (${client})`;
    out.push(`| ${w} | ${c} | ${metric} | ${cell(g('runnel'))} | ${cell(g('runnel-nofsync'))} | ${cell(g('mock'))} | ${cell(g('kafka'))} | ${lim ? fmt(lim.value) : ''} | ${lim ? ratio(g('runnel'), lim.value) : ''} | ${ratio(g('runnel'), g('mock'))} | ${ratio(g('runnel'), g('kafka'))} |`);
  }
  out.push('');
  return out;
}

interface Goal {
  source: string;
  goal: string;
  result: string;
  met: boolean | null;
}

export function goals(r: RunRecord, t: Table): Goal[] {
  const out: Goal[] = [];
  const med = (w: string, c: string | undefined, m: string, client: string, b: string): number | null => (c ? (t.get(w, c, m, client, b)?.median ?? null) : null);
  const add = (source: string, goal: string, value: number | null, ok: (v: number) => boolean, show: (v: number) => string): void => {
    out.push({ source, goal, result: value === null ? 'not measured' : show(value), met: value === null ? null : ok(value) });
  };
  const loop = r.limits?.loopbackNodeMBps ?? null;
  // Issue 8
  const kib1 = t.findCase('W2', '1 KiB');
  const kibAcks1 = t.samples.find((s) => s.workload === 'W2' && s.case.startsWith('1 KiB') && s.case.endsWith('acks=1'))?.case;
  for (const dir of ['produce', 'consume'] as const) {
    const rv = med('W2', kibAcks1, `${dir} MB/s`, 'librdkafka', 'runnel');
    const mv = med('W2', kibAcks1, `${dir} MB/s`, 'librdkafka', 'mock');
    add('8', `W2 1 KiB acks=1 ${dir} ≥ 1.0× the mock`, rv !== null && mv !== null ? rv / mv : null, (v) => v >= 1, (v) => `${v.toFixed(2)}× (${fmt(rv)} vs ${fmt(mv)} MB/s)`);
    add('8', `W2 1 KiB acks=1 ${dir} ≥ 40% of loopback`, rv !== null && loop ? rv / loop : null, (v) => v >= 0.4, (v) => `${(100 * v).toFixed(0)}% (${fmt(rv)} of ${fmt(loop)} MB/s)`);
  }
  void kib1;
  add('8', 'W1 5,000 sequential acks=-1 < 2 s', med('W1', t.findCase('W1', ''), 'total s', 'librdkafka', 'runnel'), (v) => v < 2, (v) => `${v.toFixed(2)} s`);
  const w3 = t.findCase('W3', '');
  add('8', 'W3 p99 < 5 ms', med('W3', w3, 'p99 ms', 'librdkafka', 'runnel'), (v) => v < 5, (v) => `${v.toFixed(2)} ms`);
  add('8', 'W3 p99.9 < 20 ms', med('W3', w3, 'p99.9 ms', 'librdkafka', 'runnel'), (v) => v < 20, (v) => `${v.toFixed(2)} ms`);
  const p10k = t.findCase('W5', '10,000');
  const rssA = med('W5', p10k, 'RSS after produce MB', 'librdkafka', 'runnel');
  const rssB = med('W5', p10k, 'RSS idle after restart MB', 'librdkafka', 'runnel');
  add('8', 'W5 10,000 partitions: RSS < 1 GB', rssA === null && rssB === null ? null : Math.max(rssA ?? 0, rssB ?? 0), (v) => v < 1000, (v) => `${fmt(v)} MB (peak of after-produce and after-restart)`);
  add('8', 'W5 10,000 partitions: clean restart < 2 s', med('W5', p10k, 'clean restart → first answer ms', 'librdkafka', 'runnel'), (v) => v < 2000, (v) => `${(v / 1000).toFixed(2)} s`);
  const w6 = t.findCase('W6', '');
  add('8', 'W6 start < 150 ms', med('W6', w6, 'start → accept ms', '–', 'runnel'), (v) => v < 150, (v) => `${fmt(v)} ms (bare Node: ${fmt(med('W6', w6, 'start → accept ms', '–', 'node'))} ms)`);
  add('8', 'W6 idle RSS < 80 MB', med('W6', w6, 'idle RSS MB', '–', 'runnel'), (v) => v < 80, (v) => `${fmt(v)} MB`);
  // Issue 10
  for (const size of ['100 B', '1 KiB']) {
    for (const acks of ['acks=1', 'acks=-1']) {
      const c = t.samples.find((s) => s.workload === 'W2' && s.case.startsWith(size) && s.case.endsWith(acks))?.case;
      for (const dir of ['produce', 'consume']) {
        const rv = med('W2', c, `${dir} MB/s`, 'librdkafka', 'runnel');
        const nv = med('W2', c, `${dir} MB/s`, 'librdkafka', 'runnel-nofsync');
        const kv = med('W2', c, `${dir} MB/s`, 'librdkafka', 'kafka');
        add('10', `W2 ${size} ${acks} ${dir} ≥ Kafka`, rv !== null && kv !== null ? rv / kv : null, (v) => v >= 1, (v) => `${v.toFixed(2)}× (${fmt(rv)} vs ${fmt(kv)} MB/s${nv !== null && kv ? `; nofsync ${(nv / kv).toFixed(2)}×` : ''})`);
      }
    }
  }
  const rp99 = med('W3', w3, 'p99 ms', 'librdkafka', 'runnel');
  const np99 = med('W3', w3, 'p99 ms', 'librdkafka', 'runnel-nofsync');
  const kp99 = med('W3', w3, 'p99 ms', 'librdkafka', 'kafka');
  add('10', 'W3 p99 ≤ Kafka’s', rp99 !== null && kp99 !== null ? rp99 / kp99 : null, (v) => v <= 1, (v) => `${v.toFixed(2)}× (${fmt(rp99)} vs ${fmt(kp99)} ms${np99 !== null && kp99 ? `; nofsync ${(np99 / kp99).toFixed(2)}×` : ''})`);
  const rs = med('W6', w6, 'start → first answer ms', '–', 'runnel');
  const ks = med('W6', w6, 'start → first answer ms', '–', 'kafka');
  add('10', 'W6 startup ≥ 20× faster than Kafka', rs !== null && ks !== null ? ks / rs : null, (v) => v >= 20, (v) => `${v.toFixed(1)}× (${fmt(rs)} vs ${fmt(ks)} ms to the first answer)`);
  const rr = med('W6', w6, 'idle RSS MB', '–', 'runnel');
  const kr = med('W6', w6, 'idle RSS MB', '–', 'kafka');
  add('10', 'W6 idle RSS ≥ 4× smaller than Kafka', rr !== null && kr !== null ? kr / rr : null, (v) => v >= 4, (v) => `${v.toFixed(1)}× (${fmt(rr)} vs ${fmt(kr)} MB)`);
  return out;
}

export function markdown(r: RunRecord): string {
  const t = new Table(r.samples);
  const e = r.env;
  const l = r.limits;
  const out: string[] = [];
  out.push(`Run ${e.date} (${(r.durationSecs / 60).toFixed(1)} min, \`${r.command}\`): ${e.cpus} × ${e.cpuModel}, ${e.memGb.toFixed(0)} GiB, ${e.kernel}, Node ${e.node}; data dirs on ${e.disk}.`);
  out.push(`Shared machine: load ${e.loadBefore} before, ${e.loadAfter} after; CPU pressure (PSI "some") ${e.pressureAvgPct === null ? 'n/a' : `${e.pressureAvgPct.toFixed(0)}%`} of the run's wall time.`);
  out.push(`Brokers: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join('; ')}.`);
  out.push('');
  if (l) {
    out.push('Limits measured in this run:');
    out.push('');
    out.push('| limit | value |');
    out.push('| --- | ---: |');
    out.push(`| loopback TCP, Node socket pair (two processes) | ${fmt(l.loopbackNodeMBps)} MB/s |`);
    out.push(`| loopback TCP, native (C, two threads) | ${l.loopbackCMBps === null ? '–' : `${fmt(l.loopbackCMBps)} MB/s`} |`);
    out.push(`| loopback TCP, iperf3 | ${l.loopbackIperf3MBps === null ? 'not installed' : `${fmt(l.loopbackIperf3MBps)} MB/s`} |`);
    out.push(`| disk sequential write (1 MiB writes + fdatasync) | ${fmt(l.diskSeqWriteMBps)} MB/s |`);
    out.push(`| fsync’d append (100 B write + fdatasync) | ${fmt(l.fsyncAppendsPerSec)}/s (${fmt(l.fsyncAppendMicros)} µs mean, p99 ${fmt(l.fsyncAppendP99Micros)} µs) |`);
    out.push('');
  }
  out.push('Cells: median [min–max] over the interleaved runs. Ratios: Runnel ÷ the other (for times, latency and memory below 1× is better). "Runnel" is Runnel’s default (every append fsynced before acks=-1 is answered and before consumers see it); "Runnel nofsync" relaxes log.flush.interval.messages to Kafka’s default (no fsync per append). Kafka and the mock never fsync.');
  out.push('');
  out.push('### Summary');
  out.push('');
  out.push(...headline(r, t));
  for (const w of ['W1', 'W2', 'W3', 'W4', 'W5', 'W6']) out.push(...workloadTable(r, t, w));
  const g = goals(r, t);
  out.push('### Goals (issues 8 and 10)');
  out.push('');
  out.push('| issue | goal | this run | met |');
  out.push('| --- | --- | --- | :---: |');
  for (const x of g) out.push(`| ${x.source} | ${x.goal} | ${x.result} | ${x.met === null ? '–' : x.met ? 'yes' : '**no**'} |`);
  out.push('');
  if (r.notes.length > 0) {
    out.push('Notes:');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  if (r.errors.length > 0) {
    out.push('Failed measurements:');
    for (const n of r.errors) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
