/**
 * Differential testing: the same scenario against Runnel and a real Apache Kafka, with the same
 * client, comparing what a user can observe.
 *
 *   const pair = await startPair();                 // beforeAll (skips need apacheKafkaAvailable())
 *   const obs = await pair.both(async (t) => ...);  // { runnel, kafka }, run side by side
 *   expectSame('produce/offsets', obs);             // differences must be in known-differences.ts
 *
 * Observations are plain JSON values, normalised by the scenario (ids, timestamps, hosts and ports
 * replaced by placeholders; lists keyed by name where order means nothing). `expectSame` diffs
 * them leaf by leaf; every difference must match an entry of KNOWN_DIFFERENCES for that scenario,
 * and every entry for that scenario must still match something (so the list cannot go stale).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { errorName } from '../../protocol/errors.js';
import { APACHE_KAFKA_LIKE_CONFIG, startApacheKafka, type ApacheKafka } from '../helpers/apache-kafka.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ABSENT, KNOWN_DIFFERENCES, type KnownDifference } from './known-differences.js';

export { ABSENT };

export type Side = 'runnel' | 'kafka';

export interface Target {
  side: Side;
  bootstrap: string;
  host: string;
  port: number;
}

export interface Pair {
  runnel: Target & { broker: TestBroker };
  kafka: Target & { broker: ApacheKafka };
  /** Runs the scenario against both brokers at once. */
  both<T>(fn: (t: Target) => Promise<T>): Promise<Record<Side, T>>;
  stop(): Promise<void>;
}

/**
 * A fresh Runnel (configured like the reference: APACHE_KAFKA_LIKE_CONFIG) and a fresh Apache
 * Kafka. `config` applies to both (Runnel config / server.properties).
 */
export async function startPair(config: Record<string, string | number | boolean> = {}): Promise<Pair> {
  const [kafka, runnel] = await Promise.all([
    startApacheKafka({ props: config }),
    startTestBroker({ config: { ...APACHE_KAFKA_LIKE_CONFIG, ...config } }),
  ]);
  freshKafka = kafka.home !== null;
  const rt = { side: 'runnel' as const, bootstrap: runnel.bootstrap, host: runnel.host, port: runnel.port, broker: runnel };
  const kt = { side: 'kafka' as const, bootstrap: kafka.bootstrap, host: kafka.host, port: kafka.port, broker: kafka };
  return {
    runnel: rt,
    kafka: kt,
    async both(fn) {
      const [r, k] = await Promise.all([fn(rt), fn(kt)]);
      return { runnel: r, kafka: k };
    },
    async stop() {
      await Promise.all([runnel.cleanup(), kafka.stop()]);
    },
  };
}

/**
 * For a describe block: starts a pair before its tests and stops it after them. The returned
 * Pair forwards to the running one (use it inside tests and hooks, not at collection time).
 */
export function usePair(config: Record<string, string | number | boolean> = {}): Pair {
  let running: Pair | undefined;
  beforeAll(async () => {
    running = await startPair(config);
  }, 180_000);
  afterAll(async () => {
    await running?.stop();
  }, 60_000);
  const current = (): Pair => {
    if (!running) throw new Error('the differential pair is not running (usePair outside a test?)');
    return running;
  };
  return {
    get runnel() {
      return current().runnel;
    },
    get kafka() {
      return current().kafka;
    },
    both: (fn) => current().both(fn),
    stop: () => current().stop(),
  };
}

/** Whether this file's reference Kafka was started fresh (not reused through RUNNEL_APACHE_KAFKA). */
let freshKafka = true;

/** A unique suffix for names on a shared (external) reference broker; stripped by `normalise`. */
export const RUN = `r${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** `base` made unique for this run (topics, groups); `normalise` turns it back into `base`. */
export function uniq(base: string): string {
  return `${base}-${RUN}`;
}

/** Connects a raw protocol client (close it when done). */
export function raw(t: Target): Promise<RawClient> {
  return RawClient.connect(t.host, t.port);
}

/** Runs fn with a fresh raw connection, closing it afterwards. */
export async function withRaw<T>(t: Target, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await raw(t);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** An error code as a user reads it: 'NONE', 'UNKNOWN_TOPIC_OR_PARTITION' ... */
export function err(code: number): string {
  return errorName(code);
}

/** A list as an object keyed by `key(item)` (for lists whose order means nothing). */
export function keyed<T>(items: readonly T[], key: (item: T) => string | number, value: (item: T) => unknown = (i) => i): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of items) out[String(key(item))] = value(item);
  return out;
}

/**
 * Deep copy with Buffers as hex, bigint as number, the run suffix stripped from strings and keys,
 * and the given keys replaced by a placeholder that tells only whether they were set.
 */
export function normalise(v: unknown, opts: { mask?: readonly string[] } = {}): unknown {
  const mask = new Set(opts.mask ?? []);
  const strip = (s: string): string => s.split(`-${RUN}`).join('');
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return strip(x);
    if (typeof x === 'bigint') return Number(x);
    if (Buffer.isBuffer(x)) return `<${x.length} bytes>`;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) out[strip(k)] = mask.has(k) ? placeholder(val) : walk(val);
      return out;
    }
    return x;
  };
  return walk(v);
}

/** '<set>' for a non-empty value, else the value itself (null, '', -1, undefined). */
export function placeholder(v: unknown): unknown {
  if (v === null || v === undefined || v === '' || v === -1 || v === -1n) return v ?? null;
  if (typeof v === 'string' && /^0{8}-0{4}-0{4}-0{4}-0{12}$|^A{22}$/.test(v)) return '<zero>';
  return '<set>';
}

/** An error message as a user meets it: null when there is none (null or ''), else '<set>'. */
export function msg(m: string | null | undefined): string | null {
  return m === null || m === undefined || m === '' ? null : '<set>';
}

export interface Difference {
  path: string;
  runnel: unknown;
  kafka: unknown;
}

/** Leaf-by-leaf differences; a key only one side has shows ABSENT on the other. */
export function diff(runnel: unknown, kafka: unknown, path = ''): Difference[] {
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object';
  if (isObj(runnel) && isObj(kafka) && Array.isArray(runnel) === Array.isArray(kafka)) {
    const keys = Array.isArray(runnel)
      ? Array.from({ length: Math.max(runnel.length, (kafka as unknown as unknown[]).length) }, (_, i) => String(i))
      : [...new Set([...Object.keys(runnel), ...Object.keys(kafka)])];
    const out: Difference[] = [];
    for (const k of keys) {
      const p = path === '' ? k : `${path}/${k}`;
      const inR = k in runnel;
      const inK = k in kafka;
      if (inR && inK) out.push(...diff(runnel[k], kafka[k], p));
      else out.push({ path: p, runnel: inR ? runnel[k] : ABSENT, kafka: inK ? kafka[k] : ABSENT });
    }
    return out;
  }
  return Object.is(runnel, kafka) ? [] : [{ path, runnel, kafka }];
}

/** `*` matches within one path segment, `**` any number of whole segments (`a/**` anything below a). */
export function pathPattern(p: string): RegExp {
  const segs = p.split('/');
  let re = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') re += last ? '.*' : '(?:[^/]+/)*';
    else re += seg.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + (last ? '' : '/');
  });
  return new RegExp(`^${re}$`);
}

function sameValue(expected: unknown, actual: unknown): boolean {
  return JSON.stringify(expected) === JSON.stringify(actual);
}

function matches(rule: KnownDifference['where'][number], d: Difference): boolean {
  if (!pathPattern(rule.path).test(d.path)) return false;
  if ('runnel' in rule && !sameValue(rule.runnel, d.runnel)) return false;
  if ('kafka' in rule && !sameValue(rule.kafka, d.kafka)) return false;
  if (rule.when && !rule.when(d.runnel, d.kafka)) return false;
  return true;
}

export interface Explained {
  unexplained: Difference[];
  /** Rules of this scenario that matched nothing. */
  stale: Array<{ id: string; path: string }>;
  /** Each difference with the id of the entry that explains it. */
  explained: Array<Difference & { id: string }>;
}

/** RUNNEL_DIFF_DUMP=dir writes each scenario's observations to dir/<scenario>.json (to read them). */
function dump(scenario: string, obs: Record<Side, unknown>): void {
  const dir = process.env.RUNNEL_DIFF_DUMP;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${scenario.replace(/\//g, '__')}.json`), JSON.stringify(obs, null, 1));
}

export function explain(scenario: string, obs: Record<Side, unknown>, known: readonly KnownDifference[] = KNOWN_DIFFERENCES, fresh = freshKafka): Explained {
  dump(scenario, obs);
  const diffs = diff(obs.runnel, obs.kafka);
  const rules = known.flatMap((k) => k.where.filter((w) => w.scenario === scenario).map((w) => ({ id: k.id, rule: w, used: false })));
  const out: Explained = { unexplained: [], stale: [], explained: [] };
  for (const d of diffs) {
    const hits = rules.filter((r) => matches(r.rule, d));
    for (const h of hits) h.used = true;
    if (hits.length === 0) out.unexplained.push(d);
    else out.explained.push({ ...d, id: hits[0]!.id });
  }
  for (const r of rules) if (!r.used && (fresh || !r.rule.freshOnly)) out.stale.push({ id: r.id, path: r.rule.path });
  return out;
}

function report(scenario: string, r: Explained): string[] {
  if (r.unexplained.length === 0 && r.stale.length === 0) return [];
  const show = (x: unknown): string => (x === ABSENT ? '(absent)' : JSON.stringify(x));
  return [
    `scenario ${scenario}:`,
    ...r.unexplained.map((d) => `  differs: ${d.path}: runnel ${show(d.runnel)}, kafka ${show(d.kafka)}`),
    ...r.stale.map((s) => `  known difference '${s.id}' (${s.path}) no longer shows: remove it from known-differences.ts`),
  ];
}

/**
 * Fails with the list of differences that no entry of known-differences.ts explains, and with the
 * entries of this scenario that no longer match anything.
 */
export function expectSame(scenario: string, obs: Record<Side, unknown>): Explained {
  const r = explain(scenario, obs);
  const lines = report(scenario, r);
  if (lines.length > 0) expect.fail(lines.join('\n'));
  return r;
}

/**
 * expectSame for each phase of a multi-step scenario (`prefix/phase`), reporting every phase that
 * fails at once. Both sides must have observed the same phases.
 */
export function expectSamePhases(prefix: string, obs: Record<Side, unknown>): void {
  const r = obs.runnel as Record<string, unknown>;
  const k = obs.kafka as Record<string, unknown>;
  expect(Object.keys(r)).toEqual(Object.keys(k));
  const lines = Object.keys(k).flatMap((phase) => report(`${prefix}/${phase}`, explain(`${prefix}/${phase}`, { runnel: r[phase], kafka: k[phase] })));
  if (lines.length > 0) expect.fail(lines.join('\n'));
}
