/**
 * Stage 2, access: may this client write here? Checked per request and per topic, before any byte
 * of a batch is read.
 *
 *  - Authorization, with Kafka's ACL operations (security/authorizer.ts; skipped without an
 *    authorizer): WRITE on the TRANSACTIONAL_ID when the request carries transactional batches
 *    (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition of the request, as Kafka refuses
 *    the whole request), then WRITE on each TOPIC (TOPIC_AUTHORIZATION_FAILED, also for a topic
 *    that does not exist, so an unauthorized client learns nothing of it).
 *  - The broker's state topics (data/internal-topic.ts) refuse client appends with
 *    INVALID_TOPIC_EXCEPTION, as Kafka refuses appends to its internal topics.
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProduceRequest } from '../../../protocol/generated/index.js';
import { ATTR_TRANSACTIONAL, BATCH_HEADER_SIZE, OFF_ATTRIBUTES } from '../../../protocol/records/batch.js';
import { isBrokerStateTopic } from '../../data/internal-topic.js';
import { AclOperation, AclResourceType } from '../../security/authorizer.js';
import type { ProducePorts } from '../produce-ports.js';
import type { Refusal } from '../refusal.js';

/**
 * WRITE on the request's transactional id, asked when the id is set (transactional producers set
 * it). A refusal applies only to a request with transactional batches, as in Kafka.
 */
export function refuseUnauthorizedTransactionalId(ports: ProducePorts, req: ProduceRequest): Refusal | null {
  const id = req.transactionalId;
  if (id === null || !ports.authorizer.enabled || ports.authorizer.authorize(ports.conn.principal, AclOperation.WRITE, { type: AclResourceType.TRANSACTIONAL_ID, name: id })) return null;
  if (!hasTransactionalBatches(req)) return null;
  return { code: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: `Not authorized to write with transactional id ${id}` };
}

export function refuseUnauthorizedTopic(ports: ProducePorts, topic: string): Refusal | null {
  // No authorizer: one property read, no resource object (the default path costs nothing).
  if (!ports.authorizer.enabled || ports.authorizer.authorize(ports.conn.principal, AclOperation.WRITE, { type: AclResourceType.TOPIC, name: topic })) return null;
  return { code: ErrorCode.TOPIC_AUTHORIZATION_FAILED, message: `Not authorized to write to topic ${topic}` };
}

export function refuseInternalTopic(topic: string): Refusal | null {
  return isBrokerStateTopic(topic) ? { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `Cannot append to internal topic ${topic}` } : null;
}

/** Any batch with the transactional bit (read from the header bytes, before any batch is validated). */
function hasTransactionalBatches(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const b = p.records as Buffer | null;
      if (b !== null && b.length >= BATCH_HEADER_SIZE && (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0) return true;
    }
  }
  return false;
}
