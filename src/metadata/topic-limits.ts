/**
 * What one client request may ask of the topic metadata. Every topic and partition is kept in
 * memory, listed by Metadata and written to runnel-metadata.json, so a count a client picks
 * (2,147,483,647 partitions, a megabyte config value) must be refused before anything is stored:
 *
 * - partitions per request (CreateTopics, CreatePartitions, Metadata auto-creation): Kafka's
 *   MAX_PARTITIONS_PER_BATCH, 10,000, answered as Kafka does with POLICY_VIOLATION "Excessively
 *   large number of partitions per request." for every topic of the request;
 * - partitions per topic: INVALID_PARTITIONS;
 * - partitions on the broker (runnel.max.partitions; Kafka has no such cap, but every partition
 *   costs memory, open files and a directory whatever its topic): POLICY_VIOLATION;
 * - config names and values (CreateTopics, AlterConfigs, IncrementalAlterConfigs): INVALID_CONFIG,
 *   checked before the value is parsed (or echoed in an error message).
 *
 * The broker's own internal topics are sized by the operator and are not held to these limits.
 */
import type { ConfigView } from '../config/view.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export const MAX_PARTITIONS_PER_REQUEST_KEY = 'runnel.max.partitions.per.request';
export const MAX_PARTITIONS_PER_TOPIC_KEY = 'runnel.max.partitions.per.topic';
export const MAX_PARTITIONS_KEY = 'runnel.max.partitions';
export const MAX_CONFIG_VALUE_BYTES_KEY = 'runnel.max.config.value.bytes';

/** Partitions a CreateTopics entry asks for, counted as Kafka does (-1: the default; assignments: their count). */
export function requestedPartitions(numPartitions: number, assignmentCount: number, defaultPartitions: number): number {
  if (assignmentCount > 0) return assignmentCount;
  if (numPartitions === -1) return defaultPartitions;
  return numPartitions > 0 ? numPartitions : 0;
}

/** Throws POLICY_VIOLATION when one request adds more partitions than allowed. */
export function checkPartitionsPerRequest(config: ConfigView, total: number): void {
  if (total > config.int(MAX_PARTITIONS_PER_REQUEST_KEY)) throw new KafkaError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.');
}

/** Throws POLICY_VIOLATION when the broker would hold more partitions than allowed. */
export function checkPartitionsOnBroker(config: ConfigView, existing: number, adding: number): void {
  const max = config.int(MAX_PARTITIONS_KEY);
  if (existing + adding > max) {
    throw new KafkaError(ErrorCode.POLICY_VIOLATION, `The broker holds ${existing} partitions; ${adding} more would exceed the limit of ${max} (${MAX_PARTITIONS_KEY}).`);
  }
}

/** Throws INVALID_PARTITIONS when a topic would have more partitions than allowed. */
export function checkPartitionsPerTopic(config: ConfigView, count: number): void {
  const max = config.int(MAX_PARTITIONS_PER_TOPIC_KEY);
  if (count > max) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${count} exceeds the limit of ${max} partitions per topic (${MAX_PARTITIONS_PER_TOPIC_KEY}).`);
}

/** Throws INVALID_CONFIG when a config name or value is longer than allowed. */
export function checkConfigSizes(config: ConfigView, entries: Iterable<readonly [string, string | null]>): void {
  const max = config.int(MAX_CONFIG_VALUE_BYTES_KEY);
  for (const [name, value] of entries) {
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes > max) throw new KafkaError(ErrorCode.INVALID_CONFIG, `A config name of ${nameBytes} bytes exceeds the limit of ${max} bytes (${MAX_CONFIG_VALUE_BYTES_KEY}).`);
    const valueBytes = value === null ? 0 : Buffer.byteLength(value);
    if (valueBytes > max) throw new KafkaError(ErrorCode.INVALID_CONFIG, `The value of ${name} is ${valueBytes} bytes, more than the limit of ${max} bytes (${MAX_CONFIG_VALUE_BYTES_KEY}).`);
  }
}
