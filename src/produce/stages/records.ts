/**
 * Stage 6, the record walk: every record of the batch walked as Kafka's LogValidator does
 * (data/record-validation.ts): records that do not add up are INVALID_RECORD, CreateTime outside
 * message.timestamp.before/after.max.ms INVALID_TIMESTAMP per record, keyless records on a
 * compacted topic INVALID_RECORD per record (record_errors name them); on CreateTime topics the
 * header's maxTimestamp is repaired in place. An uncompressed batch is walked where it lies; a
 * compressed one in the block its one decompression produced (ProducedBatch.records()).
 */
import { BATCH_HEADER_SIZE } from '../../../protocol/records/batch.js';
import { checkRecordBlock, type RecordPolicy } from '../../data/record-validation.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';

export function walkRecords(scope: ProduceScope, b: ProducedBatch): Refusal | null {
  const settings = b.topic.settings!;
  const config = b.log!.config;
  const policy: RecordPolicy = {
    topic: b.topic.name,
    partition: b.partition,
    logAppendTime: config.messageTimestampType === 'LogAppendTime',
    compacted: config.cleanupPolicy.compact,
    maxTimestampBeforeMs: settings.maxTimestampBeforeMs,
    maxTimestampAfterMs: settings.maxTimestampAfterMs,
    maxTimestampDiffMs: settings.maxTimestampDiffMs,
    maxDecompressedBytes: settings.maxDecompressedBytes,
    now: scope.now,
  };
  const bytes = b.bytes!;
  let rejected;
  if (b.compressed) {
    const block = b.records();
    rejected = checkRecordBlock(bytes, block, 0, block.length, policy);
  } else {
    rejected = checkRecordBlock(bytes, bytes, BATCH_HEADER_SIZE, b.size, policy);
  }
  return rejected === null ? null : { code: rejected.code, message: rejected.message, recordErrors: rejected.records };
}
