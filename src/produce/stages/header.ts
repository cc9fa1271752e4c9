/**
 * Stage 5, header & CRC: the checks that need the batch's 61-byte header and one CRC pass
 * (data/batch-validation.ts: magic, one batch of the size sent, max.message.bytes, CRC32C, no
 * control batches, a known codec, zstd only from v7, count against lastOffsetDelta, a sequence for
 * idempotent batches). A batch that passes gets its header view read (ProducedBatch.readHeader);
 * one that fails is never walked.
 */
import { validateProducedBatch } from '../../data/batch-validation.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';

export function checkHeader(scope: ProduceScope, b: ProducedBatch): Refusal | null {
  const problem = validateProducedBatch(b.bytes, { maxMessageBytes: b.topic.settings!.maxMessageBytes, produceVersion: scope.version });
  if (problem !== null) return problem;
  b.readHeader();
  return null;
}
