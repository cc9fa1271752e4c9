/**
 * Test helpers: encode valid uncompressed RecordBatch v2 bytes (correct CRC32C) independently of
 * the storage code, decode them back, temp dirs, and reading a whole log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../../protocol/records/crc32c.js';
import type { PartitionLog } from '../../../storage/partition-log.js';

export interface TestRecord {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  timestamp?: number;
  headers?: Array<[string, string]>;
}

export interface BatchOptions {
  baseOffset?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Attributes bits 0-2 (the bytes are NOT compressed: only for "kept whole" tests). */
  compression?: number;
  control?: boolean;
  transactional?: boolean;
  leaderEpoch?: number;
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varint(v: number): number[] {
  let z = zigzag(v);
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return out;
}

function bytesOf(x: string | Buffer | null | undefined): Buffer | null {
  if (x === null || x === undefined) return null;
  return typeof x === 'string' ? Buffer.from(x) : x;
}

function field(x: Buffer | null): Buffer {
  if (x === null) return Buffer.from(varint(-1));
  return Buffer.concat([Buffer.from(varint(x.length)), x]);
}

export function makeBatch(records: TestRecord[], opts: BatchOptions = {}): Buffer {
  if (records.length === 0) throw new Error('empty batch');
  const now = Date.now();
  const ts = records.map((r) => r.timestamp ?? now);
  const baseTs = ts[0]!;
  const maxTs = Math.max(...ts);
  const recs = records.map((r, i) => {
    const headers = r.headers ?? [];
    const body = Buffer.concat([
      Buffer.from([0]),
      Buffer.from(varint(ts[i]! - baseTs)),
      Buffer.from(varint(i)),
      field(r.key === undefined ? Buffer.from(`k${i}`) : bytesOf(r.key)),
      field(r.value === undefined ? Buffer.from(`v${i}`) : bytesOf(r.value)),
      Buffer.from(varint(headers.length)),
      ...headers.flatMap(([k, v]) => [field(Buffer.from(k)), field(Buffer.from(v))]),
    ]);
    return Buffer.concat([Buffer.from(varint(body.length)), body]);
  });
  const records_ = Buffer.concat(recs);
  const b = Buffer.alloc(61 + records_.length);
  b.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(opts.leaderEpoch ?? -1, 12);
  b.writeInt8(2, 16);
  let attrs = opts.compression ?? 0;
  if (opts.transactional) attrs |= 0x10;
  if (opts.control) attrs |= 0x20;
  b.writeInt16BE(attrs, 21);
  b.writeInt32BE(records.length - 1, 23);
  b.writeBigInt64BE(BigInt(baseTs), 27);
  b.writeBigInt64BE(BigInt(maxTs), 35);
  b.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  b.writeInt16BE(opts.producerEpoch ?? -1, 51);
  b.writeInt32BE(opts.baseSequence ?? -1, 53);
  b.writeInt32BE(records.length, 57);
  records_.copy(b, 61);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

/** A batch of `n` records with values of `valueSize` bytes. */
export function sizedBatch(n: number, valueSize: number, timestamp?: number): Buffer {
  const value = Buffer.alloc(valueSize, 0x61);
  return makeBatch(Array.from({ length: n }, (_, i) => ({ key: `key-${i}`, value, timestamp })));
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

function readVarint(b: Buffer, pos: { p: number }): number {
  let raw = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos.p++]!;
    raw += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) break;
    mul *= 128;
  }
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

export function batchCrcOk(b: Buffer): boolean {
  return crc32c(b.subarray(21)) === b.readUInt32BE(17);
}

export function decodeBatch(b: Buffer): DecodedRecord[] {
  const base = Number(b.readBigInt64BE(0));
  const baseTs = Number(b.readBigInt64BE(27));
  const count = b.readInt32BE(57);
  const pos = { p: 61 };
  const out: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const len = readVarint(b, pos);
    const end = pos.p + len;
    pos.p++;
    const tsd = readVarint(b, pos);
    const od = readVarint(b, pos);
    const kl = readVarint(b, pos);
    const key = kl < 0 ? null : b.toString('utf8', pos.p, pos.p + kl);
    if (kl > 0) pos.p += kl;
    const vl = readVarint(b, pos);
    const value = vl < 0 ? null : b.toString('utf8', pos.p, pos.p + vl);
    pos.p = end;
    out.push({ offset: base + od, timestamp: baseTs + tsd, key, value });
  }
  return out;
}

export function tempDir(prefix = 'runnel-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every batch from the log start to the high watermark. */
export async function readAllBatches(log: PartitionLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const batches = await log.readBatches(offset, 1 << 20);
    if (batches.length === 0) break;
    for (const b of batches) {
      out.push(Buffer.from(b));
      offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
    }
  }
  return out;
}

/** Reads a FileSlice's bytes. */
export async function sliceBytes(s: { fd: number; position: number; length: number }): Promise<Buffer> {
  const { read } = await import('node:fs');
  const buf = Buffer.alloc(s.length);
  await new Promise<void>((res, rej) => read(s.fd, buf, 0, s.length, s.position, (e) => (e ? rej(e) : res())));
  return buf;
}

/**
 * A batch as a leader wrote it: `count` records from offset `base`, stamped with leader `epoch`
 * (what a follower's fetch returns, to append with appendAsFollower).
 */
export function leaderBatch(base: number, count: number, epoch: number, valueSize = 20, tag = `${base}`): Buffer {
  return makeBatch(
    Array.from({ length: count }, (_, i) => ({ key: `k${tag}-${i}`, value: Buffer.alloc(valueSize, 0x61 + (i % 26)) })),
    { baseOffset: base, leaderEpoch: epoch },
  );
}

/** Base offset, last offset and leader epoch of a batch. */
export function batchInfo(b: Buffer): { base: number; last: number; epoch: number } {
  const base = Number(b.readBigInt64BE(0));
  return { base, last: base + b.readInt32BE(23), epoch: b.readInt32BE(12) };
}
