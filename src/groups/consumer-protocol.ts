/**
 * Just enough of the consumer protocol (protocolType "consumer") to know what a group reads:
 * the topics in each member's subscription and the partitions in each member's assignment. The
 * coordinator otherwise treats both as opaque bytes, as Kafka does.
 *
 *   ConsumerProtocolSubscription: version int16 | topics [string] | userData bytes? | (v1+ owned
 *     partitions, v2+ generation, v3+ rack: not needed here)
 *   ConsumerProtocolAssignment:   version int16 | assigned [topic string, partitions [int32]] |
 *     userData bytes?
 * Neither is flexible, and newer versions only append fields, so reading the prefix works for all.
 */
import { Reader } from '../../protocol/primitives.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  const r = new Reader(metadata);
  const version = r.int16();
  if (version < 0) return null;
  const n = r.arrayLength();
  const topics: string[] = [];
  for (let i = 0; i < n && r.error === null; i++) topics.push(r.string());
  return r.error === null && n >= 0 ? topics : null;
}

/** topic → partitions of an assignment, or null when the bytes are not a consumer assignment. */
export function assignmentPartitions(assignment: Buffer): Map<string, number[]> | null {
  if (assignment.length < 6) return null;
  const r = new Reader(assignment);
  const version = r.int16();
  if (version < 0) return null;
  const n = r.arrayLength();
  const out = new Map<string, number[]>();
  for (let i = 0; i < n && r.error === null; i++) {
    const topic = r.string();
    const count = r.arrayLength();
    const parts: number[] = [];
    for (let j = 0; j < count && r.error === null; j++) parts.push(r.int32());
    out.set(topic, parts);
  }
  return r.error === null && n >= 0 ? out : null;
}
