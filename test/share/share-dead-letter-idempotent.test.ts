/**
 * Dead-letter copies to a dead-letter partition led by another broker are idempotent batches
 * (src/share/dead-letter-producer.ts): a copy whose Produce reached the leader but whose answer
 * was lost is retried as the same batch (same producer id and sequence), so it lands once even
 * when the first Produce is appended only AFTER the retry's tail check — the window the tail check
 * alone left open. The "other broker" is a real in-process broker reached over a raw socket; the
 * request function in between plays the network: it holds the first Produce back (the writer sees
 * a timeout) and delivers it late, just before the retry's Produce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { forEachRecord } from '../../protocol/records/records.js';
import { silentLogger } from '../../src/logger.js';
import { DeadLetterWriter } from '../../src/share/dead-letter.js';
import { BrokerDeadLetterSink } from '../../src/share/remote-dead-letter.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

/** The versions the inter-broker connection would send: Produce, Fetch, ListOffsets. */
const VERSIONS: Record<number, number> = { 0: 9, 1: 12, 2: 7 };

describe('idempotent dead-letter copies to a partition led elsewhere', () => {
  let b: TestBroker;
  let raw: RawClient;

  beforeAll(async () => {
    b = await startTestBroker({ config: { 'runnel.group.share.dead.letter.topics': 'g1=dlq.one,g2=dlq.two' } });
    raw = await RawClient.connect(b.host, b.port);
    for (const name of ['jobs', 'dlq.one', 'dlq.two']) {
      const [r] = await b.broker.topics.createTopics([{ name, partitions: 1, replicationFactor: 1, configs: [] } as any], false);
      expect(r?.error ?? null).toBeNull();
    }
    const p: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync([{ key: 'k0', value: 'job-0' }, { key: 'k1', value: 'job-1' }]) }] }] });
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
  });
  afterAll(async () => {
    raw?.close();
    await b?.cleanup();
  });

  /** The records of a dead-letter topic, as the source offsets they copy. */
  const copies = async (topic: string): Promise<string[]> => {
    const r: any = await raw.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] });
    const bytes: Buffer = r.responses[0].partitions[0].records ?? Buffer.alloc(0);
    const out: string[] = [];
    for (let pos = 0; pos + 12 <= bytes.length; ) {
      const end = pos + 12 + bytes.readInt32BE(pos + 8);
      await forEachRecord(bytes.subarray(pos, end), (rec) => out.push(rec.headers.find((h) => h.key === '__dlq.errors.offset')!.value!.toString()));
      pos = end;
    }
    return out;
  };

  /** A writer whose dead-letter partitions are "led by broker 1", reached through `request`. */
  const writer = (request: (apiKey: number, body: any) => Promise<any>): DeadLetterWriter => {
    const sink = new BrokerDeadLetterSink({
      brokerId: 99,
      leaderOf: () => 1,
      request: (_broker, apiKey, body) => request(apiKey, body),
      requestTimeoutMs: () => 5000,
      allocateProducerId: () => b.broker.producerIds.allocate(),
    });
    const logs = { get: (t: string, p: number) => (t.startsWith('dlq.') ? undefined : b.broker.partitions.get(t, p)) };
    return new DeadLetterWriter(b.broker.config, b.broker.topics, logs, silentLogger(), undefined, sink);
  };
  const send = (apiKey: number, body: any): Promise<any> => raw.request(apiKey, VERSIONS[apiKey]!, body);

  it('a copy whose first Produce is appended after the retry tail check lands once', async () => {
    let held: any = null;
    let produces = 0;
    const w = writer(async (apiKey, body) => {
      if (apiKey === 0 && ++produces === 1) {
        held = body; // reaches the leader only later; the writer gives up waiting
        throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'no answer within request.timeout.ms');
      }
      if (apiKey === 0 && held !== null) {
        // The delayed first Produce is appended now: after the retry read the tail and found nothing.
        const late = await send(0, held);
        expect(late.responses[0].partitionResponses[0].errorCode).toBe(0);
        held = null;
      }
      return send(apiKey, body);
    });
    const source = b.broker.partitions.get('jobs', 0)!;
    await expect(w.write('g1', source, 0, 1, 2, 'rejected', false)).rejects.toThrow(/no answer/);
    await w.write('g1', source, 0, 1, 2, 'rejected', true);
    expect(produces).toBe(2);
    expect(await copies('dlq.one')).toEqual(['0', '1']);
  });

  it('a retry the leader refuses for its sequence falls back to the tail check, still once', async () => {
    let produces = 0;
    const w = writer(async (apiKey, body) => {
      if (apiKey === 0) {
        produces++;
        if (produces === 1) {
          await send(0, body); // appended, answer lost
          throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'no answer within request.timeout.ms');
        }
        if (produces === 2) {
          // The leader lost this producer's state (e.g. its log was truncated).
          return { responses: [{ name: 'dlq.two', partitionResponses: [{ index: 0, errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, errorMessage: 'out of order' }] }] };
        }
      }
      return send(apiKey, body);
    });
    const source = b.broker.partitions.get('jobs', 0)!;
    await expect(w.write('g2', source, 0, 1, 2, 'rejected', false)).rejects.toThrow(/no answer/);
    await w.write('g2', source, 0, 1, 2, 'rejected', true);
    // The tail check found both records: no third Produce.
    expect(produces).toBe(2);
    expect(await copies('dlq.two')).toEqual(['0', '1']);
  });
});
