/**
 * Stage 7, schema validation: on a topic with confluent.key/value.schema.validation, every record
 * against the schema registry (schema/validation.ts) in the records the walk already read (never
 * decompressed again). A bad record refuses the batch with INVALID_RECORD and names the record in
 * record_errors. Topics without schema validation pay one null check.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';

export function checkSchema(scope: ProduceScope, b: ProducedBatch): Refusal | null {
  const policy = b.topic.settings!.schemaValidation;
  if (policy === null) return null;
  const r = scope.ports.schemas.checkBlock(b.records(), b.recordCount, policy);
  if (r === null) return null;
  const message = r.code === ErrorCode.INVALID_RECORD ? `One or more records have been rejected: ${r.message}` : r.message;
  // A record at fault is named (and the answer carries the log start offset); an unreadable batch is not.
  return r.index >= 0 ? { code: r.code, message, recordErrors: [{ index: r.index, message: r.message }] } : { code: r.code, message };
}
