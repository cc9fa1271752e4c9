/**
 * Topic administration over a raw socket (test/helpers/raw-client.ts), for tests that need the
 * exact error code and message of each topic: CreateTopics, DeleteTopics, CreatePartitions,
 * Metadata, configs. Each helper sends one request at a fixed version and returns the decoded
 * per-topic results.
 */
import {
  newAlterConfigsRequestConfig,
  newAlterConfigsRequestResource,
  newCreatePartitionsRequestTopic,
  newCreateTopicsRequestConfig,
  newCreateTopicsRequestTopic,
  newDeleteRecordsRequestPartition,
  newDeleteRecordsRequestTopic,
  newDeleteTopicsRequestTopic,
  newDescribeConfigsRequestResource,
  newIncrementalAlterConfigsRequestConfig,
  newIncrementalAlterConfigsRequestResource,
  newMetadataRequestTopic,
} from '../../protocol/generated/index.js';
import { RawClient } from './raw-client.js';

export const TOPIC_RESOURCE = 2;
export const BROKER_RESOURCE = 4;

export interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface NewTopicSpec {
  name: string;
  numPartitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
  assignments?: Array<{ partitionIndex: number; brokerIds: number[] }>;
}

export async function connectRaw(bootstrap: string): Promise<RawClient> {
  const [host, port] = bootstrap.split(':');
  return RawClient.connect(host!, Number(port));
}

export async function createTopics(c: RawClient, topics: NewTopicSpec[], validateOnly = false): Promise<TopicResult[]> {
  const r = await c.request(19, 5, {
    timeoutMs: 10_000,
    validateOnly,
    topics: topics.map((t) =>
      newCreateTopicsRequestTopic({
        name: t.name,
        numPartitions: t.numPartitions ?? (t.assignments ? -1 : 1),
        replicationFactor: t.replicationFactor ?? (t.assignments ? -1 : 1),
        assignments: t.assignments ?? [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => newCreateTopicsRequestConfig({ name, value })),
      }),
    ),
  });
  return r.topics;
}

export async function deleteTopics(c: RawClient, names: string[]): Promise<TopicResult[]> {
  const r = await c.request(20, 6, { timeoutMs: 10_000, topics: names.map((name) => newDeleteTopicsRequestTopic({ name })) });
  return r.responses;
}

export async function createPartitions(c: RawClient, topics: Array<{ name: string; count: number }>): Promise<TopicResult[]> {
  const r = await c.request(37, 3, { timeoutMs: 10_000, validateOnly: false, topics: topics.map((t) => newCreatePartitionsRequestTopic({ name: t.name, count: t.count, assignments: null })) });
  return r.results;
}

/** Metadata v12 for the named topics (null: all topics). */
export async function metadata(c: RawClient, names: string[] | null, allowAutoTopicCreation = false): Promise<Array<TopicResult & { partitions: unknown[]; isInternal: boolean }>> {
  const r = await c.request(3, 12, { topics: names === null ? null : names.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation });
  return r.topics;
}

export async function describeTopicConfig(c: RawClient, topic: string, key: string): Promise<string | null> {
  const r = await c.request(32, 4, { resources: [newDescribeConfigsRequestResource({ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: [key] })] });
  return r.results[0].configs.find((x: { name: string }) => x.name === key)?.value ?? null;
}

/** IncrementalAlterConfigs SET (op 0) of one resource; returns its error code and message. */
export async function setConfigs(c: RawClient, resourceType: number, name: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await c.request(44, 1, {
    validateOnly: false,
    resources: [
      newIncrementalAlterConfigsRequestResource({
        resourceType,
        resourceName: name,
        configs: Object.entries(configs).map(([k, value]) => newIncrementalAlterConfigsRequestConfig({ name: k, configOperation: 0, value })),
      }),
    ],
  });
  return r.responses[0];
}

/** AlterConfigs (replace every override) of one resource. */
export async function replaceConfigs(c: RawClient, resourceType: number, name: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await c.request(33, 2, {
    validateOnly: false,
    resources: [newAlterConfigsRequestResource({ resourceType, resourceName: name, configs: Object.entries(configs).map(([k, value]) => newAlterConfigsRequestConfig({ name: k, value })) })],
  });
  return r.responses[0];
}

export async function deleteRecords(c: RawClient, topic: string, partition: number, offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
  const r = await c.request(21, 2, { timeoutMs: 5000, topics: [newDeleteRecordsRequestTopic({ name: topic, partitions: [newDeleteRecordsRequestPartition({ partitionIndex: partition, offset })] })] });
  return r.topics[0].partitions[0];
}
