/**
 * Raw protocol drivers: our own codecs over a socket (test/helpers/raw-client.ts), for checks that
 * need exact bytes — idempotent producer ids and sequences, long-poll timing — plus a free port
 * for brokers that must come back on the same one.
 */
import { createServer } from 'node:net';
import {
  newFetchRequest,
  newFetchRequestPartition,
  newFetchRequestTopic,
  newProduceRequestPartition,
  newProduceRequestTopic,
  type FetchResponse,
} from '../../../protocol/generated/index.js';
import { RawClient } from '../../../test/helpers/raw-client.js';

/** A port that was free a moment ago (for brokers that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function rawInitProducerId(c: RawClient): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (!r || r.errorCode !== 0) throw new Error(`InitProducerId failed: ${JSON.stringify(r)}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** One Produce (v9) of one batch to one partition; resolves with that partition's answer. */
export async function rawProduce(c: RawClient, topic: string, partition: number, records: Buffer, acks = -1): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const r = await c.request(0, 9, { acks, timeoutMs: 10_000, transactionalId: null, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] });
  if (!r) throw new Error('connection closed during Produce');
  const p = r.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage };
}

/** Encodes a Fetch v12 request for one partition (without sending it). */
export function rawFetchFrame(topic: string, partition: number, offset: number, maxWaitMs: number, correlationId: number, minBytes = 1): Buffer {
  const body = newFetchRequest({
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })] })],
  });
  return RawClient.encodeRequest(1, 12, body, correlationId);
}

export async function rawFetch(c: RawClient, topic: string, partition: number, offset: number, maxWaitMs = 0): Promise<FetchResponse> {
  const r = await c.request<FetchResponse>(1, 12, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionEpoch: -1,
    topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })] })],
  });
  if (!r) throw new Error('connection closed during Fetch');
  return r;
}
