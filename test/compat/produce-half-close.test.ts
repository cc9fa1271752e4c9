/**
 * A client that writes its last requests and closes its side of the connection (FIN) at once —
 * kafkajs's producer.disconnect() after acks=0 sends does exactly that — must have every request
 * that arrived whole processed, as Kafka does (its Selector processes the completed receives of a
 * channel closed by the peer). Found as test/compat/data-produce.test.ts losing kafkajs's last
 * acks=0 chunk under load: requests held back (fair turns, queued.max.requests, request memory)
 * were dropped when the socket closed behind the FIN.
 *
 * Decided by state, not timing: once the broker has closed the connection, the partition must
 * come to hold every record (polled with a deadline; a dropped request never arrives).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CODECS } from '../../protocol/generated/index.js';
import { newFetchRequestPartition, newFetchRequestTopic } from '../../protocol/generated/01-fetch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';
import { offsetRange } from '../crash/state-files.js';

let broker: TestBroker;
let admin: RawClient;

beforeAll(async () => {
  broker = await startTestBroker();
  admin = await connectRaw(broker.bootstrap);
});
afterAll(async () => {
  admin?.close();
  await broker?.cleanup();
});

/** Writes `frames` and a FIN at once; resolves when the broker has closed the connection. */
function sendAndHalfClose(frames: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: broker.host, port: broker.port }, () => {
      s.end(frames);
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the broker did not close the half-closed connection'));
    }, 20_000);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.resume(); // nothing is answered at acks=0, but read whatever comes
  });
}

/** Polls the partition's high watermark until it reaches `want` or `ms` pass; returns the last seen. */
async function endOffsetReaching(topic: string, want: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let end = -1;
  while (Date.now() < deadline) {
    end = (await offsetRange(admin, topic, 1))[0]![1];
    if (end >= want) return end;
    await new Promise((r) => setTimeout(r, 50));
  }
  return end;
}

/** A Fetch long poll (500 ms on an empty partition): not pipelinable, so everything after it waits. */
function longPoll(topic: string): Buffer {
  const API_FETCH = 1;
  return RawClient.encodeRequest(
    API_FETCH,
    12,
    API_CODECS.get(API_FETCH)!.newRequest({
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 })] })],
      forgottenTopicsData: [],
      rackId: '',
    }),
    1,
  );
}

/** `n` single-record produce requests to partition 0 of `topic`. */
function produces(topic: string, n: number, acks: number): Buffer {
  return Buffer.concat(
    Array.from({ length: n }, (_, i) =>
      RawClient.encodeRequest(0, 9, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync([{ key: null, value: `v${i}` }]) }] }] }, i + 2),
    ),
  );
}

describe('requests before the client closes its side', () => {
  it.each([0, 1])('acks=%i: every produce request that arrived before the FIN is appended', async (acks) => {
    const topic = `half-close-acks${acks}`;
    const idle = `half-close-idle${acks}`;
    expect((await createTopics(admin, [{ name: topic }, { name: idle }])).map((t) => t.errorCode)).toEqual([0, 0]);
    // The produce requests wait behind the long poll (queued, or unread past queued.max.requests)
    // when the FIN arrives; more of them than one fair turn (4 ms) gets through.
    const N = 2000;
    await sendAndHalfClose(Buffer.concat([longPoll(idle), produces(topic, N, acks)]));
    expect(await endOffsetReaching(topic, N, 10_000)).toBe(N);
  }, 40_000);

  it('many pipelined acks=0 requests and a FIN: all appended', async () => {
    const topic = 'half-close-pipelined';
    expect((await createTopics(admin, [{ name: topic }]))[0]!.errorCode).toBe(0);
    const N = 3000;
    await sendAndHalfClose(produces(topic, N, 0));
    expect(await endOffsetReaching(topic, N, 10_000)).toBe(N);
  }, 40_000);
});
