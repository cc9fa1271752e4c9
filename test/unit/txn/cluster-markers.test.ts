/**
 * The cluster MarkerSender (src/txn/cluster-markers.ts) with fake connections: markers of
 * partitions led here are appended here; the others go as one WriteTxnMarkers request per leader
 * (the marker's producer, epoch, result and coordinator epoch), answered with that broker's code
 * per partition; no leader, a leader not registered, or one the image names here before the
 * replica manager made it leader answer NOT_LEADER_OR_FOLLOWER; an unreachable leader
 * NETWORK_EXCEPTION, its connection dropped and opened again on the next send; a connection is
 * reused, and replaced when the broker's address changes; requests are split at
 * runnel.request.max.entries partitions; INVALID_PRODUCER_EPOCH (a newer epoch
 * already ended it there) counts as written; a deleted topic is UNKNOWN_TOPIC_OR_PARTITION.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { WriteTxnMarkersRequest } from '../../../protocol/generated/index.js';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { silentLogger } from '../../../src/logger.js';
import { ClusterMarkerSender, type MarkerConnection } from '../../../src/txn/cluster-markers.js';
import type { LocalMarkerDeps, TxnMarker } from '../../../src/txn/markers.js';

const ME = 1;
const marker: TxnMarker = { producerId: 42, producerEpoch: 3, coordinatorEpoch: 7, commit: true };

interface Sent {
  broker: number;
  request: WriteTxnMarkersRequest;
}

function fixture(opts: { leaders: Record<string, number>; ledHere?: string[]; answer?: (broker: number, topic: string, p: number) => number; config?: Record<string, string | number> }) {
  const appended: string[] = [];
  const sent: Sent[] = [];
  const connects: string[] = [];
  const addresses = new Map<number, { host: string; port: number }>([
    [2, { host: '127.0.0.1', port: 9002 }],
    [3, { host: '127.0.0.1', port: 9003 }],
  ]);
  let failing = new Set<number>();
  const ledHere = new Set(opts.ledHere ?? []);
  // A partition led here: its append resolves at once (acks=all met) and its producer state takes the marker.
  const partition = (topic: string, p: number) => ({
    topic,
    partition: p,
    isLeader: ledHere.has(`${topic}-${p}`),
    append: () => {
      appended.push(`${topic}-${p}`);
      return { baseOffset: 0, lastOffset: 0, written: Promise.resolve() };
    },
    acknowledgement: () => Promise.resolve(),
  });
  const local = {
    config: new BrokerConfig([optionsLayer(opts.config ?? {})]),
    topics: { get: (name: string) => (['t', 'u'].includes(name) ? { name, partitions: 4 } : undefined), settings: () => ({ minInsyncReplicas: 1 }) },
    partitions: { get: partition, appendInOrder: async (_p: unknown, prepare: (() => Promise<void>) | null, append: () => unknown) => (prepare && (await prepare()), append()) },
    producerStates: { peek: () => ({ producers: new Map(), completeTxn: () => undefined }), get: async () => ({}) },
    groups: { txnMarkerWritten: () => undefined },
  } as unknown as LocalMarkerDeps;
  const sender = new ClusterMarkerSender({
    local,
    log: silentLogger(),
    routing: { brokerId: ME, leaderOf: (topic, p) => opts.leaders[`${topic}-${p}`] ?? -1, addressOf: (id) => addresses.get(id) ?? null },
    connect: async (broker, a) => {
      connects.push(`${broker}@${a.port}`);
      if (failing.has(broker)) throw new Error('connect ECONNREFUSED');
      let closed = false;
      const conn: MarkerConnection = {
        get closed() {
          return closed;
        },
        close: () => void (closed = true),
        send: async <T extends object>(apiKey: number, body: object): Promise<T> => {
          expect(apiKey).toBe(27);
          const request = body as WriteTxnMarkersRequest;
          sent.push({ broker, request });
          const m = request.markers[0]!;
          return {
            markers: [{ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: opts.answer?.(broker, t.name, p) ?? 0 })) })) }],
          } as T;
        },
      };
      return conn;
    },
  });
  return { sender, appended, sent, connects, addresses, fail: (ids: number[]) => void (failing = new Set(ids)) };
}

describe('ClusterMarkerSender', () => {
  it('appends markers of partitions led here, and sends one WriteTxnMarkers per other leader with the marker', async () => {
    const f = fixture({ leaders: { 't-0': ME, 't-1': 2, 'u-0': 2, 't-2': 3 }, ledHere: ['t-0'] });
    const codes = await f.sender.send(marker, [['t', 0], ['t', 1], ['u', 0], ['t', 2]]);
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(f.appended).toEqual(['t-0']);
    expect(f.sent.map((s) => s.broker).sort()).toEqual([2, 3]);
    const to2 = f.sent.find((s) => s.broker === 2)!.request.markers;
    expect(to2).toHaveLength(1);
    expect(to2[0]).toMatchObject({ producerId: 42, producerEpoch: 3, transactionResult: true, coordinatorEpoch: 7 });
    expect(to2[0]!.topics).toEqual([
      { name: 't', partitionIndexes: [1] },
      { name: 'u', partitionIndexes: [0] },
    ]);
  });

  it("answers each partition with its leader's code; INVALID_PRODUCER_EPOCH counts as written", async () => {
    const f = fixture({
      leaders: { 't-0': 2, 't-1': 2, 't-2': 3 },
      answer: (broker, _t, p) => (broker === 3 ? ErrorCode.INVALID_PRODUCER_EPOCH : p === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE),
    });
    expect(await f.sender.send(marker, [['t', 0], ['t', 1], ['t', 2]])).toEqual([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NONE]);
  });

  it('no leader, a leader not registered, or one named here but not leading yet: NOT_LEADER_OR_FOLLOWER; a deleted topic: UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const f = fixture({ leaders: { 't-1': ME, 't-2': 9 } });
    const codes = await f.sender.send(marker, [['t', 0], ['t', 1], ['t', 2], ['gone', 0]]);
    expect(codes).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(f.sent).toEqual([]);
  });

  it('a leader gets at most runnel.request.max.entries partitions per request', async () => {
    const f = fixture({ leaders: { 't-0': 2, 't-1': 2, 't-2': 2 }, config: { 'runnel.request.max.entries': 2 } });
    expect(await f.sender.send(marker, [['t', 0], ['t', 1], ['t', 2]])).toEqual([0, 0, 0]);
    expect(f.sent.map((s) => s.request.markers[0]!.topics.flatMap((t) => t.partitionIndexes))).toEqual([[0, 1], [2]]);
  });

  it('an unreachable leader: NETWORK_EXCEPTION, reconnected on the next send; connections are reused, and replaced when the address changes', async () => {
    const f = fixture({ leaders: { 't-0': 2, 't-1': 3 } });
    f.fail([2]);
    expect(await f.sender.send(marker, [['t', 0], ['t', 1]])).toEqual([ErrorCode.NETWORK_EXCEPTION, ErrorCode.NONE]);
    f.fail([]);
    expect(await f.sender.send(marker, [['t', 0], ['t', 1]])).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(await f.sender.send(marker, [['t', 0]])).toEqual([ErrorCode.NONE]);
    expect(f.connects.sort()).toEqual(['2@9002', '2@9002', '3@9003']);
    f.addresses.set(2, { host: '127.0.0.1', port: 9102 }); // restarted elsewhere
    expect(await f.sender.send(marker, [['t', 0]])).toEqual([ErrorCode.NONE]);
    expect(f.connects).toContain('2@9102');
    f.sender.close();
    expect(await f.sender.send(marker, [['t', 0]])).toEqual([ErrorCode.NETWORK_EXCEPTION]);
  });
});

describe('addToTransaction: KIP-890 implicit adds sent to the coordinator broker', () => {
  function adder(leaders: Record<string, number>, answer: (req: any) => object | Error) {
    const sent: Array<{ broker: number; apiKey: number; body: any }> = [];
    const sender = new ClusterMarkerSender({
      local: { config: new BrokerConfig([optionsLayer({})]) } as unknown as LocalMarkerDeps,
      log: silentLogger(),
      routing: { brokerId: ME, leaderOf: (topic, p) => leaders[`${topic}-${p}`] ?? -1, addressOf: (id) => ({ host: '127.0.0.1', port: 9000 + id }) },
      connect: async (broker) => ({
        closed: false,
        close: () => undefined,
        send: async <T extends object>(apiKey: number, body: object): Promise<T> => {
          sent.push({ broker, apiKey, body });
          const r = answer(body);
          if (r instanceof Error) throw r;
          return r as T;
        },
      }),
    });
    return { sender, sent };
  }

  it('sends AddPartitionsToTxn (not verify-only) to the leader of the id\'s __transaction_state partition and answers its code', async () => {
    const ok = (body: any) => ({ errorCode: 0, resultsByTransaction: body.transactions.map((t: any) => ({ transactionalId: t.transactionalId, topicResults: t.topics.map((x: any) => ({ name: x.name, resultsByPartition: x.partitions.map((p: number) => ({ partitionIndex: p, partitionErrorCode: 0 })) })) })) });
    const { sender, sent } = adder({ '__transaction_state-3': 2 }, ok);
    expect(await sender.addToTransaction(3, 'tx', 42, 5, [['t', 0]])).toBe(ErrorCode.NONE);
    expect(sent).toEqual([{ broker: 2, apiKey: 24, body: { transactions: [{ transactionalId: 'tx', producerId: 42, producerEpoch: 5, verifyOnly: false, topics: [{ name: 't', partitions: [0] }] }] } }]);

    const fenced = adder({ '__transaction_state-3': 2 }, (body: any) => ({ errorCode: 0, resultsByTransaction: [{ transactionalId: 'tx', topicResults: [{ name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.PRODUCER_FENCED }] }] }] }));
    expect(await fenced.sender.addToTransaction(3, 'tx', 42, 4, [['t', 0]])).toBe(ErrorCode.PRODUCER_FENCED);
    const unauthorized = adder({ '__transaction_state-3': 2 }, () => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] }));
    expect(await unauthorized.sender.addToTransaction(3, 'tx', 42, 4, [['t', 0]])).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  });

  it('no other leader → NOT_COORDINATOR; unreachable → NETWORK_EXCEPTION (both retried by the producer)', async () => {
    const none = adder({}, () => ({}));
    expect(await none.sender.addToTransaction(3, 'tx', 42, 5, [['t', 0]])).toBe(ErrorCode.NOT_COORDINATOR);
    const self = adder({ '__transaction_state-3': ME }, () => ({}));
    expect(await self.sender.addToTransaction(3, 'tx', 42, 5, [['t', 0]])).toBe(ErrorCode.NOT_COORDINATOR);
    const down = adder({ '__transaction_state-3': 2 }, () => new Error('socket closed'));
    expect(await down.sender.addToTransaction(3, 'tx', 42, 5, [['t', 0]])).toBe(ErrorCode.NETWORK_EXCEPTION);
  });
});
