/**
 * RecordBatch v2 header: a view over the bytes, never a copy. Layout (big endian):
 *
 *   offset  size  field
 *        0     8  baseOffset            — stamped by the broker on append (not covered by the CRC)
 *        8     4  batchLength           — bytes after this field
 *       12     4  partitionLeaderEpoch  — stamped by the broker (not covered by the CRC)
 *       16     1  magic (2)
 *       17     4  crc                   — CRC32C of bytes 21..end
 *       21     2  attributes            — bits 0-2 compression, 3 timestamp type (1 = LogAppendTime),
 *                                         4 transactional, 5 control, 6 has delete horizon
 *       23     4  lastOffsetDelta
 *       27     8  baseTimestamp
 *       35     8  maxTimestamp
 *       43     8  producerId
 *       51     2  producerEpoch
 *       53     4  baseSequence
 *       57     4  recordCount
 *       61        records (possibly compressed as one block)
 */
import { crc32c } from './crc32c.js';

export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the part of the header that precedes the length-covered bytes. */
export const BATCH_LOG_OVERHEAD = 12;
export const CRC_START = 21;

export const OFF_BASE_OFFSET = 0;
export const OFF_LENGTH = 8;
export const OFF_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

const TWO_32 = 4294967296;

function readInt64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * TWO_32 + b.readUInt32BE(at + 4);
}

function writeInt64(b: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  b.writeInt32BE(hi, at);
  b.writeUInt32BE(v - hi * TWO_32, at + 4);
}

export const batch = {
  baseOffset: (b: Buffer, at = 0): number => readInt64(b, at + OFF_BASE_OFFSET),
  setBaseOffset: (b: Buffer, v: number, at = 0): void => writeInt64(b, at + OFF_BASE_OFFSET, v),
  /** Total size of the batch on disk / on the wire: batchLength + 12. */
  totalSize: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_LENGTH) + BATCH_LOG_OVERHEAD,
  batchLength: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_LENGTH),
  partitionLeaderEpoch: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_LEADER_EPOCH),
  setPartitionLeaderEpoch: (b: Buffer, v: number, at = 0): void => void b.writeInt32BE(v, at + OFF_LEADER_EPOCH),
  magic: (b: Buffer, at = 0): number => b.readInt8(at + OFF_MAGIC),
  crc: (b: Buffer, at = 0): number => b.readUInt32BE(at + OFF_CRC),
  attributes: (b: Buffer, at = 0): number => b.readInt16BE(at + OFF_ATTRIBUTES),
  compression: (b: Buffer, at = 0): number => b.readInt16BE(at + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK,
  isTransactional: (b: Buffer, at = 0): boolean => (b.readInt16BE(at + OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0,
  isControl: (b: Buffer, at = 0): boolean => (b.readInt16BE(at + OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0,
  lastOffsetDelta: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_LAST_OFFSET_DELTA),
  lastOffset: (b: Buffer, at = 0): number => readInt64(b, at + OFF_BASE_OFFSET) + b.readInt32BE(at + OFF_LAST_OFFSET_DELTA),
  baseTimestamp: (b: Buffer, at = 0): number => readInt64(b, at + OFF_BASE_TIMESTAMP),
  maxTimestamp: (b: Buffer, at = 0): number => readInt64(b, at + OFF_MAX_TIMESTAMP),
  setMaxTimestamp: (b: Buffer, v: number, at = 0): void => writeInt64(b, at + OFF_MAX_TIMESTAMP, v),
  producerId: (b: Buffer, at = 0): number => readInt64(b, at + OFF_PRODUCER_ID),
  producerEpoch: (b: Buffer, at = 0): number => b.readInt16BE(at + OFF_PRODUCER_EPOCH),
  baseSequence: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_BASE_SEQUENCE),
  recordCount: (b: Buffer, at = 0): number => b.readInt32BE(at + OFF_RECORD_COUNT),
};

/** CRC32C over attributes..end of the batch starting at `at` with total size `size`. */
export function computeBatchCrc(b: Buffer, at = 0, size = batch.totalSize(b, at)): number {
  return crc32c(b.subarray(at + CRC_START, at + size));
}

export function batchCrcValid(b: Buffer, at = 0, size = batch.totalSize(b, at)): boolean {
  return computeBatchCrc(b, at, size) === b.readUInt32BE(at + OFF_CRC);
}

/** Rewrites the CRC after the broker changed covered bytes (e.g. LogAppendTime timestamps). */
export function restampCrc(b: Buffer, at = 0, size = batch.totalSize(b, at)): void {
  b.writeUInt32BE(computeBatchCrc(b, at, size), at + OFF_CRC);
}
