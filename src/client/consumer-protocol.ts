/**
 * Kafka's ConsumerProtocol (protocol type "consumer"), the bytes group members exchange through
 * JoinGroup metadata and SyncGroup assignments. Written at version 0, which every Kafka consumer
 * (Java, librdkafka, kafkajs) reads; newer versions only append fields, so reading takes any.
 *
 *   Subscription v0: version int16 | topics [string] | userData nullable bytes
 *   Assignment v0:   version int16 | [topic string | partitions [int32]] | userData nullable bytes
 */
import { Writer, stringSize } from '../../protocol/primitives.js';
import { assignmentPartitions, subscriptionTopics, CONSUMER_PROTOCOL_TYPE } from '../groups/consumer-protocol.js';

export { assignmentPartitions, subscriptionTopics, CONSUMER_PROTOCOL_TYPE };

export function encodeSubscription(topics: readonly string[]): Buffer {
  let size = 2 + 4 + 4;
  for (const t of topics) size += stringSize(t);
  const w = new Writer(size);
  w.int16(0);
  w.int32(topics.length);
  for (const t of topics) w.string(t);
  w.int32(-1);
  return w.finish();
}

export function encodeAssignment(assigned: ReadonlyMap<string, readonly number[]>): Buffer {
  let size = 2 + 4 + 4;
  for (const [t, ps] of assigned) size += stringSize(t) + 4 + 4 * ps.length;
  const w = new Writer(size);
  w.int16(0);
  w.int32(assigned.size);
  for (const [t, ps] of assigned) {
    w.string(t);
    w.int32(ps.length);
    for (const p of ps) w.int32(p);
  }
  w.int32(-1);
  return w.finish();
}
