/**
 * Dumps of consumed records and the check of a dump against the run that produced it: every
 * record exactly once, offsets contiguous per partition, send order within a partition, one
 * partition per key (Java's murmur2 when asked), headers and timestamps. The TSV dump format is
 * the one dp_clients.py writes and kcat prints with the format kcat.ts gives it.
 */
import { writeFileSync } from 'node:fs';
import { partitionForKey } from '../../../src/client/partitioner.js';
import { gen, type DumpRecord, type GenOptions } from './records.js';

/** Parses TSV dump lines (see dp_clients.py; kcat prints the same columns). */
export function parseDump(text: string, source: string): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length < 8) throw new Error(`${source}: bad dump line ${JSON.stringify(line)}`);
    const headers: Record<string, string> = {};
    if (f[7] !== '') {
      for (const kv of f[7]!.split(',')) {
        const eq = kv.indexOf('=');
        headers[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
      }
    }
    const nul = (s: string): string | null => (s === '\\N' ? null : s);
    out.push({
      topic: f[0]!,
      partition: Number(f[1]),
      offset: Number(f[2]),
      timestamp: Number(f[3]),
      tsType: Number(f[4]),
      // kcat prints an empty string for a null key.
      key: source === 'kcat' && f[5] === '' ? null : nul(f[5]!),
      value: nul(f[6]!),
      headers,
    });
  }
  return out;
}

export interface Expectation extends GenOptions {
  partitions: number;
  /** Check key → partition against Java's murmur2 (clients with the Java-compatible partitioner). */
  murmur2?: boolean;
  /** Headers: per-record i/src (default), only the static src (kcat), or none. */
  headerMode?: 'per-record' | 'static' | 'none';
  /** When records carry no explicit timestamp: the produce window [from, to] in ms. */
  window?: [number, number];
  /** Expected timestamp type (0/1) when the consumer reports it. */
  tsType?: 0 | 1;
  /** Offsets start here in every partition (default 0). */
  firstOffset?: number;
}

function sortedEntries(o: Record<string, string>): Array<[string, string]> {
  return Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Checks a consumed dump against a produce run: every record exactly once, offsets contiguous per
 * partition, records in send order within a partition, one partition per key (murmur2 when asked),
 * headers and timestamps. Returns the problems found (empty when all is well), capped at 20.
 */
export function verifyDump(records: DumpRecord[], e: Expectation): string[] {
  const problems: string[] = [];
  const add = (p: string): void => {
    if (problems.length < 20) problems.push(p);
  };
  if (records.length !== e.count) add(`expected ${e.count} records, got ${records.length}`);
  const seen = new Uint8Array(e.count);
  const byPartition = new Map<number, DumpRecord[]>();
  const keyPartition = new Map<string, number>();
  const prefix = `${e.prefix}-`;
  for (const r of records) {
    if (r.partition < 0 || r.partition >= e.partitions) add(`record in partition ${r.partition}`);
    let list = byPartition.get(r.partition);
    if (!list) byPartition.set(r.partition, (list = []));
    list.push(r);
    if (r.value === null || !r.value.startsWith(prefix)) {
      add(`unexpected value ${r.value?.slice(0, 40)} at ${r.partition}/${r.offset}`);
      continue;
    }
    const i = parseInt(r.value.slice(prefix.length), 10);
    if (!(i >= 0 && i < e.count)) {
      add(`bad index in ${r.value.slice(0, 40)}`);
      continue;
    }
    if (seen[i]) add(`record ${i} seen twice (again at ${r.partition}/${r.offset})`);
    seen[i] = 1;
    const g = gen(i, e);
    if (r.value !== g.value) add(`record ${i}: value differs`);
    if (r.key !== g.key) add(`record ${i}: key ${r.key}, expected ${g.key}`);
    if (g.key !== null) {
      const p = keyPartition.get(g.key);
      if (p === undefined) keyPartition.set(g.key, r.partition);
      else if (p !== r.partition) add(`key ${g.key} in partitions ${p} and ${r.partition}`);
      if (e.murmur2 && partitionForKey(g.key, e.partitions) !== r.partition) add(`key ${g.key} in partition ${r.partition}, murmur2 says ${partitionForKey(g.key, e.partitions)}`);
    }
    const mode = e.headerMode ?? (e.headers === false ? 'none' : 'per-record');
    const want: Record<string, string> = mode === 'per-record' ? { i: String(i), src: e.prefix } : mode === 'static' ? { src: e.prefix } : {};
    if (JSON.stringify(sortedEntries(r.headers)) !== JSON.stringify(sortedEntries(want))) add(`record ${i}: headers ${JSON.stringify(r.headers)}, expected ${JSON.stringify(want)}`);
    if (e.tsType !== undefined && r.tsType >= 0 && r.tsType !== e.tsType) add(`record ${i}: timestamp type ${r.tsType}, expected ${e.tsType}`);
    if (g.timestamp !== null && e.tsType !== 1) {
      if (r.timestamp !== g.timestamp) add(`record ${i}: timestamp ${r.timestamp}, expected ${g.timestamp}`);
    } else if (e.window && (r.timestamp < e.window[0] || r.timestamp > e.window[1])) {
      add(`record ${i}: timestamp ${r.timestamp} outside the produce window ${e.window[0]}..${e.window[1]}`);
    }
  }
  for (let i = 0; i < e.count; i++) {
    if (!seen[i]) {
      add(`record ${i} missing`);
      break;
    }
  }
  const first = e.firstOffset ?? 0;
  for (const [p, list] of byPartition) {
    list.sort((a, b) => a.offset - b.offset);
    let prevIndex = -1;
    for (let k = 0; k < list.length; k++) {
      const r = list[k]!;
      if (r.offset !== first + k) {
        add(`partition ${p}: offset ${r.offset} at position ${k} (offsets not contiguous from ${first})`);
        break;
      }
      const i = r.value?.startsWith(prefix) ? parseInt(r.value.slice(prefix.length), 10) : NaN;
      if (!(i > prevIndex)) {
        add(`partition ${p}: record ${i} at offset ${r.offset} after record ${prevIndex} (out of send order)`);
        break;
      }
      prevIndex = i;
    }
  }
  return problems;
}

/** Writes a small text file (dumps for debugging a failed run). */
export function saveText(path: string, text: string): void {
  writeFileSync(path, text);
}
