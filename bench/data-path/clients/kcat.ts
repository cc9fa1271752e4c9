/**
 * kcat (librdkafka) as a data-path client: produce generated records as `key<TAB>value` lines
 * (murmur2 partitioning, as Java clients do), and consume a topic without a group into dump
 * records through a TSV format string with the columns dumps.ts parses.
 */
import { kcat, run } from '../../../test/helpers/clients.js';
import { parseDump } from './dumps.js';
import { gen, type Codec, type DumpRecord, type GenOptions } from './records.js';

export interface KcatProduceOptions extends GenOptions {
  compression?: Codec;
  acks?: number;
  idempotence?: boolean;
  partition?: number;
  /** Extra -X properties. */
  props?: Record<string, string | number>;
  timeoutMs?: number;
}

/** Produces `key<TAB>value` lines through kcat -P -K '\t' with murmur2 partitioning. */
export async function kcatProduce(bootstrap: string, topic: string, o: KcatProduceOptions): Promise<{ elapsed: number; stderr: string; code: number | null }> {
  const lines: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const r = gen(i, { ...o, headers: false, tsBase: undefined });
    lines.push(r.key === null ? r.value : `${r.key}\t${r.value}`);
  }
  const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'partitioner=murmur2_random', '-X', `acks=${o.acks ?? -1}`, '-X', 'linger.ms=5', '-X', 'queue.buffering.max.messages=1000000'];
  if (o.keyMod) args.push('-K', '\t');
  if (o.headers !== false) args.push('-H', `src=${o.prefix}`);
  if (o.compression && o.compression !== 'none') args.push('-z', o.compression);
  if (o.idempotence) args.push('-X', 'enable.idempotence=true');
  if (o.partition !== undefined) args.push('-p', String(o.partition));
  for (const [k, v] of Object.entries(o.props ?? {})) args.push('-X', `${k}=${v}`);
  const t0 = performance.now();
  const r = await run('kcat', args, { input: lines.join('\n') + '\n', timeoutMs: o.timeoutMs ?? 120_000 });
  return { elapsed: (performance.now() - t0) / 1000, stderr: r.stderr, code: r.code };
}

const KCAT_FORMAT = '%t\\t%p\\t%o\\t%T\\t-1\\t%k\\t%s\\t%h\\n';

/** Consumes one topic with kcat -C (no group) from `offset` to the end (-e), as dump records. */
export async function kcatConsume(bootstrap: string, topic: string, opts: { offset?: string; props?: Record<string, string>; count?: number; partition?: number; timeoutMs?: number } = {}): Promise<DumpRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', opts.offset ?? 'beginning', '-e', '-q', '-f', KCAT_FORMAT, '-X', 'fetch.wait.max.ms=50'];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  for (const [k, v] of Object.entries(opts.props ?? {})) args.push('-X', `${k}=${v}`);
  const out = await kcat(args, { timeoutMs: opts.timeoutMs ?? 120_000 });
  return parseDump(out, 'kcat');
}
