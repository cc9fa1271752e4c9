/**
 * The history checker for replication tests (issue 16): decides from what clients were told and
 * what the logs hold whether a run kept its promises — never a sleep or a count guessed in advance.
 *
 * Inputs:
 * - `attempts`: every value a producer tried to send (unique strings), acknowledged or not;
 * - `acks`: what was acknowledged: value, partition, offset, and the producer lane + its send
 *   order, so that per-lane order can be checked;
 * - `logs`: per partition, the records read back from the log in offset order (offset, value).
 *
 * Promises checked (acks=all on an idempotent producer):
 * - lost: an acknowledged value is missing from its partition, or sits at another offset;
 * - duplicated: a value appears twice in the log (idempotence must dedupe retries);
 * - phantom: a value that no producer ever sent (corruption, or bytes of another record);
 * - reordered: within one lane (one producer sending in sequence to one partition), acknowledged
 *   values appear in the log out of send order;
 * - gaps: offsets in a partition's read-back are not strictly increasing.
 * Values that were sent but never acknowledged may or may not be present (the outcome is unknown
 * to the client), but at most once.
 *
 * `checkReads` (issue 17, the fault scenarios of test/faults/) judges a run from what concurrent
 * consumers read as well: acknowledged never read, one offset read with two records or one record
 * at two offsets (divergence), out-of-order reads within a partition and reader session, and
 * duplicates beyond what idempotence allows (none: any value at two offsets of the final log).
 *
 * `compareReplicaLogs` checks the stronger cluster promise: the segment bytes of every replica
 * of a partition are identical up to the shortest one (followers copy the leader's batches as they
 * are, offsets and epochs included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batch } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';

export interface Ack {
  value: string;
  partition: number;
  offset: number;
  /** The producer lane (one sender to one partition, in sequence) and its position in that lane. */
  lane: string;
  seq: number;
}

export interface LogRecord {
  offset: number;
  value: string;
}

export interface HistoryReport {
  lost: string[];
  duplicated: string[];
  phantom: string[];
  reordered: string[];
  gaps: string[];
  /** Sent, never acknowledged, and present once: allowed, reported for information. */
  unackedPresent: number;
}

export function checkHistory(attempts: Iterable<string>, acks: readonly Ack[], logs: ReadonlyMap<number, readonly LogRecord[]>): HistoryReport {
  const sent = new Set(attempts);
  const report: HistoryReport = { lost: [], duplicated: [], phantom: [], reordered: [], gaps: [], unackedPresent: 0 };
  const where = new Map<string, { partition: number; offset: number }>();
  for (const [partition, records] of logs) {
    let prev = -1;
    for (const r of records) {
      if (r.offset <= prev) report.gaps.push(`partition ${partition}: offset ${r.offset} after ${prev}`);
      prev = r.offset;
      if (!sent.has(r.value)) report.phantom.push(`${r.value} at ${partition}/${r.offset}`);
      if (where.has(r.value)) report.duplicated.push(`${r.value} at ${partition}/${r.offset} and ${where.get(r.value)!.partition}/${where.get(r.value)!.offset}`);
      else where.set(r.value, { partition, offset: r.offset });
    }
  }
  const acked = new Set<string>();
  const lanes = new Map<string, Ack[]>();
  for (const a of acks) {
    acked.add(a.value);
    const at = where.get(a.value);
    if (!at) report.lost.push(`${a.value} (acked at ${a.partition}/${a.offset})`);
    else if (at.partition !== a.partition || at.offset !== a.offset) report.lost.push(`${a.value} acked at ${a.partition}/${a.offset}, found at ${at.partition}/${at.offset}`);
    const lane = lanes.get(a.lane) ?? [];
    lane.push(a);
    lanes.set(a.lane, lane);
  }
  for (const [lane, list] of lanes) {
    list.sort((x, y) => x.seq - y.seq);
    let prev: { value: string; offset: number } | null = null;
    for (const a of list) {
      const at = where.get(a.value);
      if (!at) continue;
      if (prev && at.offset <= prev.offset) report.reordered.push(`lane ${lane}: ${a.value}@${at.offset} sent after ${prev.value}@${prev.offset}`);
      prev = { value: a.value, offset: at.offset };
    }
  }
  for (const v of where.keys()) if (!acked.has(v) && sent.has(v)) report.unackedPresent++;
  return report;
}

/** True when the report holds no broken promise. */
export function historyOk(r: HistoryReport): boolean {
  return r.lost.length + r.duplicated.length + r.phantom.length + r.reordered.length + r.gaps.length === 0;
}

/** The `.log` segment files of a partition directory, concatenated in base-offset order. */
export function partitionLogBytes(partitionDir: string): Buffer {
  const segments = readdirSync(partitionDir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort();
  return Buffer.concat(segments.map((f) => readFileSync(join(partitionDir, f))));
}

/** The records (offset, value) of a partition directory's segments, in offset order. */
export async function recordsOnDisk(dir: string): Promise<LogRecord[]> {
  const bytes = partitionLogBytes(dir);
  const out: LogRecord[] = [];
  for (let at = 0; at + 61 <= bytes.length; ) {
    const size = batch.totalSize(bytes, at);
    if (at + size > bytes.length) break;
    const b = bytes.subarray(at, at + size);
    const base = batch.baseOffset(b);
    const r = await readRecords(b);
    if (r.error !== null) throw new Error(`${dir}: batch at ${base}: ${r.error}`);
    for (const rec of r.value) out.push({ offset: base + rec.offsetDelta, value: rec.value?.toString() ?? '' });
    at += size;
  }
  return out;
}

/**
 * Compares the replicas' segment bytes of one partition up to the shortest. Returns null when
 * they agree, else where they first differ. Only meaningful for replicas that all kept the log
 * from offset 0 (no retention ran) and rolled no segment at a different place than the others'
 * bytes would show (concatenation hides roll points).
 */
export function compareReplicaLogs(partitionDirs: readonly string[]): string | null {
  const logs = partitionDirs.map((d) => ({ dir: d, bytes: partitionLogBytes(d) }));
  const n = Math.min(...logs.map((l) => l.bytes.length));
  const first = logs[0]!;
  for (const other of logs.slice(1)) {
    const cmp = first.bytes.subarray(0, n).compare(other.bytes.subarray(0, n));
    if (cmp !== 0) {
      let i = 0;
      while (i < n && first.bytes[i] === other.bytes[i]) i++;
      return `${first.dir} and ${other.dir} differ at byte ${i} (of ${n} compared)`;
    }
  }
  return null;
}

/** One record a consumer saw: `reader` names one uninterrupted read session (a rewind starts a new one). */
export interface Read {
  reader: string;
  partition: number;
  offset: number;
  value: string;
}

/** What checkReads found; every list empty is a run that kept its promises. */
export interface ReadsReport {
  /** Acknowledged, and never read by anyone (or read only at another offset than acknowledged). */
  lost: string[];
  /** One offset read with two different values, or one value read at two different offsets. */
  divergent: string[];
  /** Within one reader session and partition, an offset not above the one read before it. */
  outOfOrder: string[];
  /** A value present at two offsets of the final log: idempotent producers must never do that. */
  duplicated: string[];
  /** Read, never sent by any producer. */
  phantom: string[];
  /** Within one producer lane, acknowledged values that sit in the log out of send order. */
  reordered: string[];
}

/** Total count of broken promises in a ReadsReport. */
export function readsProblems(r: ReadsReport): number {
  return r.lost.length + r.divergent.length + r.outOfOrder.length + r.duplicated.length + r.phantom.length + r.reordered.length;
}

const LIMIT = 20;
const note = (list: string[], s: string) => void (list.length < LIMIT ? list.push(s) : list.length === LIMIT ? list.push('...') : undefined);

/**
 * The Jepsen-style check of a run with concurrent producers and consumers (issue 17). `reads` holds
 * everything every consumer saw in order (the final read-back of the whole log included, as one
 * more reader whose name starts with `finalReader`). Producers are idempotent, so no value may
 * appear at two offsets; values sent but never acknowledged may appear once or not at all.
 */
export function checkReads(attempts: Iterable<string>, acks: readonly Ack[], reads: readonly Read[], finalReader = 'final'): ReadsReport {
  const sent = new Set(attempts);
  const r: ReadsReport = { lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] };
  const valueAt = new Map<string, string>(); // "p/o" -> first value read there
  const offsetOf = new Map<string, string>(); // value -> first "p/o" it was read at
  const lastOffset = new Map<string, number>(); // "reader p" -> last offset read
  const finalAt = new Map<string, string>(); // value -> "p/o" in the final log
  for (const x of reads) {
    const at = `${x.partition}/${x.offset}`;
    const v = valueAt.get(at);
    if (v === undefined) valueAt.set(at, x.value);
    else if (v !== x.value) note(r.divergent, `${at}: read as ${v} and as ${x.value} (by ${x.reader})`);
    const o = offsetOf.get(x.value);
    if (o === undefined) offsetOf.set(x.value, at);
    else if (o !== at) note(r.divergent, `${x.value}: read at ${o} and at ${at} (by ${x.reader})`);
    const key = `${x.reader} ${x.partition}`;
    const prev = lastOffset.get(key);
    if (prev !== undefined && x.offset <= prev) note(r.outOfOrder, `${x.reader} partition ${x.partition}: offset ${x.offset} after ${prev}`);
    lastOffset.set(key, x.offset);
    if (!sent.has(x.value)) note(r.phantom, `${x.value} at ${at}`);
    if (x.reader.startsWith(finalReader)) {
      const f = finalAt.get(x.value);
      if (f !== undefined && f !== at) note(r.duplicated, `${x.value} at ${f} and ${at}`);
      else finalAt.set(x.value, at);
    }
  }
  const lanes = new Map<string, Ack[]>();
  for (const a of acks) {
    const at = offsetOf.get(a.value);
    const acked = `${a.partition}/${a.offset}`;
    if (at === undefined) note(r.lost, `${a.value} (acked at ${acked}) never read`);
    else if (at !== acked) note(r.lost, `${a.value} acked at ${acked}, read at ${at}`);
    const lane = lanes.get(a.lane) ?? [];
    lane.push(a);
    lanes.set(a.lane, lane);
  }
  for (const [lane, list] of lanes) {
    list.sort((x, y) => x.seq - y.seq);
    let prev: Ack | null = null;
    for (const a of list) {
      if (prev && a.partition === prev.partition && a.offset <= prev.offset) note(r.reordered, `lane ${lane}: ${a.value}@${a.offset} sent after ${prev.value}@${prev.offset}`);
      prev = a;
    }
  }
  return r;
}
