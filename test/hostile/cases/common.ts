/**
 * What the hostile cases share: the health check every attack ends with, the per-case timeout,
 * and the raw and kafkajs helpers several themes use (create a topic, produce one batch, answer-or-
 * close checks).
 */
import kafkajsPkg from 'kafkajs';
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import {
  newCreateTopicsRequestConfig,
  newCreateTopicsRequestTopic,
  newProduceRequestPartition,
  newProduceRequestTopic,
} from '../../../protocol/generated/index.js';
import { RawClient, roundTrip } from '../frames.js';
import type { AttackReport } from '../harness.js';

const { Kafka, logLevel } = kafkajsPkg;

export const MiB = 1024 * 1024;
export const CASE_TIMEOUT = 90_000;

export function expectHealthy(r: AttackReport): void {
  expect(r.problems, `${r.name}: ${r.problems.join('; ')}`).toEqual([]);
}

/** Produce v7 of one batch to one partition; returns the partition's error code (null: closed). */
export async function produceBatch(c: RawClient, topic: string, partition: number, records: Buffer, acks = -1): Promise<number | null> {
  const res = await c.request(0, 7, { acks, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] });
  return res === null ? null : (res.responses[0].partitionResponses[0].errorCode as number);
}

export async function createTopic(host: string, port: number, name: string, partitions = 1, configs: Array<{ name: string; value: string }> = []): Promise<number> {
  const res = await roundTrip(host, port, 19, 5, { topics: [newCreateTopicsRequestTopic({ name, numPartitions: partitions, replicationFactor: 1, configs: configs.map((c) => newCreateTopicsRequestConfig(c)) })], timeoutMs: 5000 });
  return res.topics[0].errorCode;
}

export function kafka(bootstrap: string) {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 }, connectionTimeout: 3000, requestTimeout: 10_000 });
}

/** Closes every socket (the attack is over). */
export function destroyAll(sockets: Socket[]): void {
  for (const s of sockets) s.destroy();
}

/** Answer-or-close for `frames`, each on its own connection; returns what happened to each. */
export async function answeredOrClosed(host: string, port: number, frames: Buffer[], timeoutMs = 3000): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    frames.map(async (f, i) => {
      const c = await RawClient.connect(host, port);
      try {
        c.write(f);
        await c.readFrame(timeoutMs).catch(() => problems.push(`frame ${i}: neither answered nor closed within ${timeoutMs} ms`));
      } finally {
        c.close();
      }
    }),
  );
  return problems;
}

// -------------------------------------------------------------------------------------------------
