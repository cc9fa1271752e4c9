/**
 * ListOffsets (key 2), versions 0-7.
 *
 * Per partition, by timestamp: -1 latest (the high watermark, or the last stable offset for
 * read_committed), -2 earliest (the log start offset), -3 the record with the largest timestamp
 * (v7; UNSUPPORTED_VERSION below, as for -4/-5, which need v8/v9, and other negative values); any
 * other value the first offset whose timestamp is at least that (time index), or -1 when none is.
 * A partition named twice in one request is answered once, with INVALID_REQUEST (as Kafka does).
 * Version notes: v0 returns a list of offsets (old style); v1 single offset + timestamp; v2
 * isolation level; v4 leader epoch; v6 flexible; v7 max timestamp.
 */
import {
  newListOffsetsResponse,
  newListOffsetsResponsePartition,
  newListOffsetsResponseTopic,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const topics = [];
    // A partition asked for twice gets one answer, INVALID_REQUEST (Kafka's rule).
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const tp = `${p.partitionIndex}:${t.name}`;
        if (seen.has(tp)) duplicates.add(tp);
        seen.add(tp);
      }
    }
    for (const t of req.topics) {
      const partitions: ListOffsetsResponsePartition[] = [];
      for (const p of t.partitions) {
        const tp = `${p.partitionIndex}:${t.name}`;
        if (duplicates.has(tp)) {
          if (!seen.delete(tp)) continue; // answered at its first occurrence
          partitions.push(newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1, offset: -1, leaderEpoch: -1 }));
          continue;
        }
        const res = newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: -1 });
        partitions.push(res);
        // Special timestamps below -2 need the version that introduced them: -3 v7, -4 v8, -5 v9
        // (we serve up to v7); any other negative value is unknown to every version.
        if (p.timestamp < EARLIEST_TIMESTAMP && !(p.timestamp === MAX_TIMESTAMP && ctx.version >= 7)) {
          res.errorCode = ErrorCode.UNSUPPORTED_VERSION;
          continue;
        }
        const log = ctx.partitions.get(t.name, p.partitionIndex);
        if (!log) {
          res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        try {
          let found: { offset: number; timestamp: number } | null;
          switch (p.timestamp) {
            case LATEST_TIMESTAMP: {
              // read_committed: the last stable offset (only partitions that were ever part of a
              // transaction can differ from the high watermark).
              let offset = log.highWatermark;
              if (ctx.version >= 2 && req.isolationLevel === 1 && ctx.txn.partitions.has(log.topic, log.partition)) {
                const state = ctx.producers.peek(log) ?? (await ctx.producers.get(log));
                offset = state.lastStableOffset(log.highWatermark);
              }
              found = { offset, timestamp: -1 };
              break;
            }
            case EARLIEST_TIMESTAMP:
              found = { offset: log.logStartOffset, timestamp: -1 };
              break;
            case MAX_TIMESTAMP:
              found = await log.maxTimestampOffset();
              break;
            default:
              found = await log.offsetForTimestamp(p.timestamp);
          }
          if (found) {
            res.offset = found.offset;
            res.timestamp = found.timestamp;
            res.leaderEpoch = 0;
          }
          if (ctx.version === 0) res.oldStyleOffsets = found ? [found.offset].slice(0, Math.max(p.maxNumOffsets, 0)) : [];
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          res.errorCode = err.code;
        }
      }
      topics.push(newListOffsetsResponseTopic({ name: t.name, partitions }));
    }
    return newListOffsetsResponse({ throttleTimeMs: 0, topics });
  },
  errorResponse(_ctx, req, code) {
    return newListOffsetsResponse({
      topics: req.topics.map((t) =>
        newListOffsetsResponseTopic({ name: t.name, partitions: t.partitions.map((p) => newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: code, timestamp: -1, offset: -1 })) }),
      ),
    });
  },
});
