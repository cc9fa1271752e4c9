/**
 * Kafka's ConsumerProtocol (protocol type "consumer"): the bytes consumers exchange through the
 * group coordinator, JoinGroup metadata (a subscription) and SyncGroup assignments. The codecs are
 * generated from protocol/data (ConsumerProtocolSubscription/Assignment); these are the two views
 * both sides need. The coordinator otherwise treats the bytes as opaque, as Kafka does; the bundled
 * client writes them.
 *
 * We write version 0, which every Kafka consumer (Java, librdkafka, kafkajs) reads. Reading takes
 * the version-0 prefix (topics, user data) of any version: newer versions only append fields, and
 * some clients announce a version without writing its fields (a kafkajs assignor declaring v1
 * writes no owned partitions), so reading more than we use would reject bytes we can use.
 */
import {
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  newConsumerProtocolAssignment,
  newConsumerProtocolSubscription,
  writeConsumerProtocolAssignment,
  writeConsumerProtocolSubscription,
} from './generated/data/index.js';
import { Reader } from './primitives.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const WRITE_VERSION = 0;

export function encodeSubscription(topics: readonly string[]): Buffer {
  return writeConsumerProtocolSubscription(WRITE_VERSION, newConsumerProtocolSubscription({ topics: [...topics] }));
}

export function encodeAssignment(assigned: ReadonlyMap<string, readonly number[]>): Buffer {
  const assignedPartitions = Array.from(assigned, ([topic, partitions]) => ({ topic, partitions: [...partitions] }));
  return writeConsumerProtocolAssignment(WRITE_VERSION, newConsumerProtocolAssignment({ assignedPartitions }));
}

/** A reader past the int16 version, or null when there is no version or it is negative. */
function afterVersion(b: Buffer): Reader | null {
  const r = new Reader(b);
  const version = r.int16();
  return r.error === null && version >= 0 ? r : null;
}

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  const r = afterVersion(metadata);
  if (r === null) return null;
  const s = decodeConsumerProtocolSubscription(r, 0);
  return r.error === null ? s.topics : null;
}

/** topic → partitions of an assignment, or null when the bytes are not a consumer assignment. */
export function assignmentPartitions(assignment: Buffer): Map<string, number[]> | null {
  const r = afterVersion(assignment);
  if (r === null) return null;
  const a = decodeConsumerProtocolAssignment(r, 0);
  if (r.error !== null) return null;
  const out = new Map<string, number[]>();
  for (const tp of a.assignedPartitions) out.set(tp.topic, tp.partitions);
  return out;
}
