/**
 * The produce pipeline: one produced batch (produced-batch.ts) through the stages, in this fixed
 * order — each passes, refuses the batch with a Kafka error (and record_errors), or, for the few
 * named below, needs asynchronous work:
 *
 *    1. acks             0, 1 or -1                                   per request  stages/acks.ts
 *    2. access           WRITE on TRANSACTIONAL_ID and TOPIC; the     per topic    stages/access.ts
 *                        broker's internal topics refuse clients
 *    3. storage          free space above runnel.log.dir.min.free.bytes           stages/storage.ts
 *    4. target           served version, hosted partition                         stages/target.ts
 *    5. header & CRC     the batch's header and one CRC pass; then min ISR        stages/header.ts,
 *                        for acks=-1                                                stages/target.ts
 *    6. record walk      every record; maxTimestamp repair; keys on compacted      stages/records.ts
 *                        topics — a compressed batch is decompressed here, once
 *    7. schema           records against the registry (topics with validation)    stages/schema.ts
 *    8. recompression    to the topic's compression.type                          stages/recompress.ts
 *    9. producer         idempotence (sequence, epoch, duplicates), transaction   stages/producer.ts
 *   10. append           in the partition's arrival order                         stages/append.ts
 *   11. acks wait        the write, bounded by timeout_ms                         stages/acks.ts
 *
 * Produce v0-v2 carrying message format v0/v1 (old producers; Kafka 4 refuses them) take stage 4,
 * then a conversion to one RecordBatch v2 (legacy-produce.ts), then stages 5-10 on the result.
 *
 * Stages 1-3 read nothing of the batch and run once per request or topic (produce-scope.ts);
 * refusals that cost nothing come first, as Kafka authorizes before it reads a batch. A refusal
 * ends the batch's way: a CRC failure is never walked, an internal topic never decompressed.
 *
 * The sync/async boundary. Stages 1-7 and 9-10 are synchronous. The asynchronous work is:
 *   - decompressing a compressed batch (stage 6), after which stages 6-8 run on its block, within
 *     one of a few process-wide decompression slots (data/decompression-slots.ts) so that only
 *     the result outlives the block;
 *   - recompression (stage 8), when the topic's codec differs from the batch's;
 *   - loading a partition's producer state, once, for its first idempotent batch.
 * This work starts as soon as the batch arrives; the batch then waits for it in its partition's
 * append order (stage 10). Everything else — an uncompressed batch on a `producer`-codec topic
 * with its producer state loaded and nothing queued on its partition, with or without schema
 * validation — runs from stage 1 to the append with no promise and no await: its offsets are
 * assigned before the handler returns.
 *
 * Decompression. An uncompressed batch is never copied: every stage reads it where it lies. A
 * compressed batch is decompressed exactly once, whatever its topic asks for: the record walk
 * needs its records anyway (Kafka's LogValidator reads every record of every batch: malformed
 * records, timestamp windows, the maxTimestamp repair, a decompression bomb's size), and the
 * schema check and recompression read the same block (ProducedBatch.records()).
 */
import { withDecompressionSlot } from '../data/decompression-slots.js';
import type { ProducedBatch } from './produced-batch.js';
import type { ProduceScope } from './produce-scope.js';
import type { Refusal } from './refusal.js';
import { appendInOrder } from './stages/append.js';
import { FIRST_RECORD_BATCH_VERSION, isLegacyMessageSet, runLegacyPipeline } from './legacy-produce.js';
import { checkHeader } from './stages/header.js';
import { planRecompression, recompress } from './stages/recompress.js';
import { walkRecords } from './stages/records.js';
import { checkSchema } from './stages/schema.js';
import { refuseUnderReplicated, resolvePartition } from './stages/target.js';

/**
 * Runs `b` through the pipeline. Returns once the batch is answered (refused), appended, or queued
 * in its partition's append order (`b.appending`); the acks wait is stages/acks.ts whenAnswered.
 */
export function runPipeline(scope: ProduceScope, b: ProducedBatch): void {
  // Produce v0-v2 with message format v0/v1: converted to a RecordBatch v2 first (legacy-produce.ts).
  if (scope.version < FIRST_RECORD_BATCH_VERSION && isLegacyMessageSet(scope.version, b.bytes)) return runLegacyPipeline(scope, b);
  // 1-5: from the request, the topic and the header.
  const refused = b.topic.refusal ?? resolvePartition(scope, b) ?? checkHeader(scope, b) ?? refuseUnderReplicated(scope, b);
  if (refused !== null) return b.refuse(refused);
  planRecompression(b);
  // 6-8 of a compressed batch: asynchronous from its decompression on; 9-10 wait in arrival order.
  if (b.compressed) return appendInOrder(scope, b, withDecompressionSlot(() => recordStagesOfCompressed(scope, b)));
  // 6-7 of an uncompressed batch: in place, synchronously.
  const rejected = walkRecords(scope, b) ?? checkSchema(scope, b);
  if (rejected !== null) {
    b.release();
    return b.refuse(rejected);
  }
  // 8 when the topic asks for a codec (asynchronous), then 9-10.
  if (b.recompressTo >= 0) return appendInOrder(scope, b, recompress(b));
  b.release();
  appendInOrder(scope, b, null);
}

/** Stages 6-8 of a compressed batch: its one decompression, then the walk, schema and recompression on that block. */
async function recordStagesOfCompressed(scope: ProduceScope, b: ProducedBatch): Promise<Refusal | null> {
  try {
    const rejected = (await b.decompress(b.topic.settings!.maxDecompressedBytes)) ?? walkRecords(scope, b) ?? checkSchema(scope, b);
    if (rejected !== null || b.recompressTo < 0) return rejected;
    return await recompress(b);
  } finally {
    b.release();
  }
}
