/**
 * The records a data-path run produces, and the shapes every client driver shares.
 *
 * Record i of a run (the same in test/compat/py/dp_clients.py):
 *   key     k<i % keyMod>             (null when keyMod is 0)
 *   value   <prefix>-<i>, padded with 'x' to valueSize
 *   headers i=<i>, src=<prefix>       (kcat: only the static src=<prefix>; its -H is per run)
 *   timestamp tsBase + i              (kcat cannot set one: the producer's clock)
 *
 * A consumed record is a DumpRecord whatever client read it, so one check (dumps.ts) serves all.
 */

export type ClientName = 'kafkajs' | 'kcat' | 'ck' | 'kp';
export const CLIENTS: readonly ClientName[] = ['kafkajs', 'kcat', 'ck', 'kp'];
export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODEC_IDS: Record<Codec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export interface GenOptions {
  count: number;
  keyMod?: number;
  prefix: string;
  valueSize?: number;
  /** Per-record headers (default true). */
  headers?: boolean;
  tsBase?: number;
}

export interface GenRecord {
  key: string | null;
  value: string;
  headers: Record<string, string> | null;
  timestamp: number | null;
}

export function gen(i: number, o: GenOptions): GenRecord {
  const key = !o.keyMod ? null : `k${i % o.keyMod}`;
  let value = `${o.prefix}-${i}`;
  if (o.valueSize && value.length < o.valueSize) value += 'x'.repeat(o.valueSize - value.length);
  const headers = o.headers === false ? null : { i: String(i), src: o.prefix };
  return { key, value, headers, timestamp: o.tsBase === undefined ? null : o.tsBase + i };
}

/** One consumed record, whatever client read it. */
export interface DumpRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** 0 CreateTime, 1 LogAppendTime, -1 unknown (kcat does not print it). */
  tsType: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}


export interface ProduceResult {
  acked: number;
  errors: string[];
  elapsed: number;
  /** [partition, offset] of every acknowledged record, in send order (kafkajs only). */
  offsets?: Array<[number, number]>;
}
