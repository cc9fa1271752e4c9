/**
 * Structure-aware mutation: decode the request with our codecs, change one value (boundary
 * numbers, 249/250/5000-character and internal topic names, arrays emptied, nulled or repeated
 * 1000 times, record batches that lie behind a valid CRC), and encode it again. The frame stays
 * well-formed, so the hostile value reaches the handler.
 */
import { API_CODECS } from '../../../protocol/generated/index.js';
import { readRequestHeaderRest, readRequestHeaderStart, requestHeaderSize, writeRequestHeader } from '../../../protocol/headers.js';
import { Reader, Writer } from '../../../protocol/primitives.js';
import { CompressionType, batchWithRecords, buildBatchSync, noise, realRecords } from '../batches.js';
import type { Rng } from './rng.js';

const NUMBERS = [0, -1, 1, -2, 0x7fff, 0x7fffffff, -0x80000000, 1_000_000_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
const STRINGS = ['', 'x'.repeat(249), 'x'.repeat(250), 'y'.repeat(5000), '__consumer_offsets', '__transaction_state', '_schemas', '..', 'a.b', 'a_b', 'é\u{1F600}', '\0', 'range'];

type Path = Array<string | number>;

function leaves(v: unknown, path: Path, out: Array<{ path: Path; value: unknown }>): void {
  out.push({ path, value: v });
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) v.forEach((e, i) => leaves(e, [...path, i], out));
  else for (const [k, e] of Object.entries(v)) leaves(e, [...path, k], out);
}

function setAt(root: any, path: Path, value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = value;
}

function hostileValue(v: unknown, rng: Rng): [unknown, string] | null {
  if (typeof v === 'number') {
    const n = rng.chance(0.2) ? v + (rng.chance(0.5) ? 1 : -1) : rng.pick(NUMBERS);
    return [n, String(n)];
  }
  if (typeof v === 'boolean') return [!v, String(!v)];
  if (typeof v === 'string') {
    const t = rng.pick(STRINGS);
    return [t, `string(${t.length})`];
  }
  if (Buffer.isBuffer(v)) {
    // Records (Produce) and protocol metadata (JoinGroup): lies a CRC check cannot catch.
    const choice = rng.int(5);
    if (choice === 0) return [Buffer.alloc(0), 'empty bytes'];
    if (choice === 1) return [noise(1 + rng.int(300), rng.next()), 'noise bytes'];
    if (choice === 2) return [batchWithRecords(noise(1 + rng.int(200), rng.next()), { recordCount: rng.pick([1, 5, 0x7fffffff, -1]) }), 'batch of noise'];
    if (choice === 3) {
      const codec = rng.pick([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]);
      return [batchWithRecords(noise(1 + rng.int(200), rng.next()), { recordCount: 3, compression: codec }), `noise claiming codec ${codec}`];
    }
    return [Buffer.concat([buildBatchSync([{ value: 'a' }]), batchWithRecords(realRecords(2))]), 'two batches'];
  }
  if (Array.isArray(v)) {
    const choice = rng.int(3);
    if (choice === 0 || v.length === 0) return [[], 'empty array'];
    if (choice === 1) return [null, 'null array'];
    const times = rng.pick([2, 10, 1000]);
    return [Array.from({ length: v.length * times }, (_, i) => v[i % v.length]), `array x${times}`];
  }
  if (v === null) return [rng.chance(0.5) ? '' : 0, 'null replaced'];
  return null;
}

export function mutateField(b: Buffer, rng: Rng): [Buffer, string] {
  const r = new Reader(b);
  const header = readRequestHeaderStart(r);
  const codec = API_CODECS.get(header.apiKey);
  if (!codec || header.apiVersion < codec.minVersion || header.apiVersion > codec.maxVersion) return [b, 'noop'];
  const flexible = codec.flexibleFrom >= 0 && header.apiVersion >= codec.flexibleFrom;
  readRequestHeaderRest(r, header, flexible);
  const body = codec.decodeRequest(r, header.apiVersion);
  if (r.error) return [b, 'noop'];
  const all: Array<{ path: Path; value: unknown }> = [];
  leaves(body, [], all);
  const target = rng.pick(all.slice(1));
  if (!target) return [b, 'noop'];
  const change = hostileValue(target.value, rng);
  if (!change) return [b, 'noop'];
  setAt(body, target.path, change[0]);
  try {
    const w = new Writer(requestHeaderSize(header, flexible) + codec.sizeRequest(header.apiVersion, body));
    writeRequestHeader(w, header, flexible);
    codec.encodeRequest(w, header.apiVersion, body);
    return [w.finish(), `${codec.name}.${target.path.join('.')} = ${change[1]}`];
  } catch {
    return [b, 'noop (value does not fit the field)'];
  }
}
