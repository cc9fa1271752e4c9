/**
 * Per-partition log configuration: Kafka's topic-level keys (segment.bytes, retention.ms, ...)
 * resolved to numbers. The broker's config layer maps key names and precedence (broker defaults <
 * topic overrides) onto this shape; storage only consumes it.
 *
 * Runnel's one deliberate difference from Kafka's defaults is durability: `flushMessages = 1`, so
 * every append is fsynced before it is acknowledged or visible (acks=-1 on one node means "on
 * disk"). Group commit keeps that cheap: appends that arrive while a write/fsync is in flight are
 * written together with one writev and share one fdatasync. Set `flushMessages` (flush.messages)
 * and/or `flushMs` (flush.ms) higher to trade durability for latency as Kafka does by default.
 *
 * No on-disk format lives here.
 */

/** "Never": Kafka uses Long.MAX_VALUE; we keep to a safe integer. */
export const NEVER = Number.MAX_SAFE_INTEGER;

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.index.bytes: max size of one index file; the segment rolls when its index is full. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between sparse index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete segments whose newest record is older; -1 = keep forever. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger; -1 = no limit. */
  retentionBytes: number;
  /** cleanup.policy: delete, compact or both. */
  cleanupPolicy: { delete: boolean; compact: boolean };
  /** flush.messages: fsync after this many records. 1 = every append (Runnel default). */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed append is this old. */
  flushMs: number;
  /** delete.retention.ms: how long compaction keeps tombstones. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a segment older than this is compacted regardless of the dirty ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio. */
  minCleanableDirtyRatio: number;
  /** file.delete.delay.ms: how long `.deleted` files linger after their readers finish. */
  fileDeleteDelayMs: number;
  /** message.timestamp.type. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
}

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  segmentIndexBytes: 10485760,
  indexIntervalBytes: 4096,
  retentionMs: 604800000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  flushMessages: 1,
  flushMs: NEVER,
  deleteRetentionMs: 86400000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60000,
  messageTimestampType: 'CreateTime',
}) as LogConfig;

/** A config with some fields overridden (tests, topic overrides). */
export function logConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = DEFAULT_LOG_CONFIG): LogConfig {
  return { ...base, ...overrides, cleanupPolicy: { ...(overrides.cleanupPolicy ?? base.cleanupPolicy) } };
}

/** Throws on values storage cannot honour (positions and relative offsets are u32/int32 on disk). */
export function validateLogConfig(c: LogConfig): void {
  const bad = (msg: string) => {
    throw new RangeError(`invalid log config: ${msg}`);
  };
  if (!(c.segmentBytes >= 14 && c.segmentBytes <= 2147483647)) bad('segmentBytes must be in [14, 2^31-1]');
  if (!(c.segmentIndexBytes >= 12)) bad('segmentIndexBytes must be >= 12');
  if (!(c.indexIntervalBytes >= 0)) bad('indexIntervalBytes must be >= 0');
  if (!(c.flushMessages >= 1)) bad('flushMessages must be >= 1');
  if (!(c.flushMs >= 0)) bad('flushMs must be >= 0');
  if (!(c.segmentMs >= 1)) bad('segmentMs must be >= 1');
  if (!(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1)) bad('minCleanableDirtyRatio must be in [0, 1]');
}
