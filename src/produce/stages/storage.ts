/**
 * Stage 3, storage: nothing is appended while the data dir has less free space than
 * runnel.log.dir.min.free.bytes (data/free-space.ts): every partition gets KAFKA_STORAGE_ERROR,
 * which producers retry until space returns. Read once per request (one field, refreshed by the
 * free-space guard's timer, never a statfs per append).
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProducePorts } from '../produce-ports.js';
import type { Refusal } from '../refusal.js';

export function refuseLowDisk(ports: ProducePorts): Refusal | null {
  const problem = ports.partitions.appendRefusal;
  return problem === null ? null : { code: ErrorCode.KAFKA_STORAGE_ERROR, message: problem };
}
