/**
 * The message sets of message format v0 and v1 (magic 0/1, Kafka before 0.11), read only: old
 * producers still send them in Produce v0-v2 (sarama 1.22 with its default config.Version), and
 * the broker turns them into a RecordBatch v2 on the way in (src/produce/legacy-produce.ts), as
 * Kafka's LogValidator up-converted them. Nothing here is on the path of RecordBatch v2.
 *
 *   message set  = (offset int64, message_size int32, message)*
 *   message      = crc uint32 (CRC-32/IEEE over the rest), magic int8, attributes int8,
 *                  [timestamp int64: magic 1 only], key bytes, value bytes   (bytes: int32 length, -1 null)
 *
 * attributes & 7 is the compression codec; a compressed ("wrapper") message's value is the
 * compressed bytes of an inner message set of uncompressed messages of the same magic. The
 * offsets are ignored (the log assigns them). Each problem is Kafka's error for it: a bad CRC or a
 * truncated message CORRUPT_MESSAGE, a structure that does not add up INVALID_RECORD.
 */
import zlib from 'node:zlib';
import { ErrorCode } from '../errors.js';

/**
 * One uncompressed message, as positions in `buf` (no object per message): the key is
 * buf[keyAt, keyAt + keyLength), the value likewise; a length of -1 is null. `timestamp` is -1 for
 * magic 0 (message format v0 has none).
 */
export type LegacyRecordVisitor = (buf: Buffer, timestamp: number, keyAt: number, keyLength: number, valueAt: number, valueLength: number) => void;

/** A wrapper message: its codec and compressed inner message set. */
export interface LegacyWrapper {
  codec: number;
  magic: number;
  compressed: Buffer;
}

export interface LegacyProblem {
  code: number;
  message: string;
}

export interface WalkOptions {
  /** Inner message sets: every message must have this magic and no codec (-1: the outer set). */
  innerMagic?: number;
  /** Check each message's CRC-32 (default true; off for a second walk over checked bytes). */
  verifyCrc?: boolean;
}

const TWO_32 = 4294967296;
const ENTRY_OVERHEAD = 12; // offset + message_size
const V0_MIN_SIZE = 4 + 1 + 1 + 4 + 4; // crc, magic, attributes, key and value lengths
const V1_MIN_SIZE = V0_MIN_SIZE + 8; // + timestamp

/** The magic byte of the first entry of a produced record set (any format), or -1 if too short. */
export function firstMagic(b: Buffer): number {
  // Legacy: offset 8 + size 4 + crc 4, then magic. RecordBatch v2: the magic is at 16 as well.
  return b.length > 16 ? b.readInt8(16) : -1;
}

/**
 * Walks the message set, calling `record` for each uncompressed message and `wrapper` for each
 * compressed one, in order; returns null, or the first problem (nothing after it is delivered).
 */
export function walkMessageSet(b: Buffer, record: LegacyRecordVisitor, wrapper: (w: LegacyWrapper) => void, options: WalkOptions = {}): LegacyProblem | null {
  const innerMagic = options.innerMagic ?? -1;
  const verifyCrc = options.verifyCrc ?? true;
  let at = 0;
  while (at < b.length) {
    if (b.length - at < ENTRY_OVERHEAD) return corrupt(`truncated message set entry at byte ${at}`);
    const size = b.readInt32BE(at + 8);
    const start = at + ENTRY_OVERHEAD;
    const end = start + size;
    if (size < V0_MIN_SIZE || end > b.length) return corrupt(`message of ${size} bytes at byte ${at} does not fit the ${b.length}-byte message set`);
    const magic = b.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) return invalid(`message at byte ${at} has magic ${magic} inside a message set of magic 0/1`);
    if (magic === 1 && size < V1_MIN_SIZE) return corrupt(`message of ${size} bytes at byte ${at} is too short for magic 1`);
    if (verifyCrc && crc32(b.subarray(start + 4, end)) !== b.readUInt32BE(start)) return corrupt(`message at byte ${at} fails its CRC check`);
    const attributes = b.readInt8(start + 5);
    const codec = attributes & 0x07;
    if (innerMagic >= 0 && (magic !== innerMagic || codec !== 0)) {
      return invalid(`compressed message of magic ${innerMagic} holds a message of magic ${magic} with codec ${codec}`);
    }
    let p = start + 6;
    const timestamp = magic === 1 ? b.readInt32BE(p) * TWO_32 + b.readUInt32BE(p + 4) : -1;
    if (magic === 1) p += 8;
    const keyLength = lengthAt(b, p, end);
    if (keyLength === undefined) return corrupt(`message at byte ${at} has a bad key length`);
    const keyAt = p + 4;
    p = keyAt + Math.max(keyLength, 0);
    const valueLength = lengthAt(b, p, end);
    if (valueLength === undefined) return corrupt(`message at byte ${at} has a bad value length`);
    const valueAt = p + 4;
    p = valueAt + Math.max(valueLength, 0);
    if (p !== end) return corrupt(`message at byte ${at} has ${end - p} bytes after its value`);
    if (codec === 0) record(b, timestamp, keyAt, keyLength, valueAt, valueLength);
    else if (valueLength < 0) return invalid(`compressed message at byte ${at} has no value`);
    else wrapper({ codec, magic, compressed: b.subarray(valueAt, valueAt + valueLength) });
    at = end;
  }
  return null;
}

/** The int32 length of the bytes field at `p` (-1: null), or undefined when the field does not fit before `end`. */
function lengthAt(b: Buffer, p: number, end: number): number | undefined {
  if (p + 4 > end) return undefined;
  const n = b.readInt32BE(p);
  if (n < -1 || (n > 0 && p + 4 + n > end)) return undefined;
  return n;
}

function corrupt(message: string): LegacyProblem {
  return { code: ErrorCode.CORRUPT_MESSAGE, message };
}

function invalid(message: string): LegacyProblem {
  return { code: ErrorCode.INVALID_RECORD, message };
}

/** CRC-32 (IEEE), the checksum of message formats v0/v1: node's own (20.15+). */
function crc32(b: Buffer): number {
  return zlib.crc32(b) >>> 0;
}
