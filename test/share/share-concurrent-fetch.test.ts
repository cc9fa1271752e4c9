/**
 * ShareFetch from several members at once, over real sockets (one connection per member), each
 * request carrying the acknowledgements of its last batch: the share-state writes of concurrent
 * requests are batched (src/share/state-writes.ts), and acquisition runs across partitions before
 * them. No offset is ever held by two members, every record is acquired and accepted exactly once,
 * and after a kill -9 of the broker nothing accepted comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const PARTITIONS = 3;
const BATCHES = 20;
const PER_BATCH = 5;
const TOTAL = PARTITIONS * BATCHES * PER_BATCH;

type Acks = Map<number, Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }>>;

describe('concurrent ShareFetch from several members (raw sockets)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-concurrent-'));
  const FLAGS = { 'runnel.group.share.auto.offset.reset': 'earliest' };
  let broker: ChildBroker | undefined;
  const clients: RawClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never hands one offset to two members, accepts each record once, and keeps it accepted across kill -9', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    const admin = await RawClient.connect(broker.host, broker.port);
    clients.push(admin);
    const created = await admin.request(19, 7, { topics: [{ name: 'cq', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const topicId: Buffer = created.topics[0].topicId;
    for (let p = 0; p < PARTITIONS; p++) {
      for (let b = 0; b < BATCHES; b++) {
        const records = buildBatchSync(Array.from({ length: PER_BATCH }, (_, i) => ({ value: `${p}-${b}-${i}` })));
        await admin.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'cq', partitionData: [{ index: p, records }] }] });
      }
    }
    const members = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const c = await RawClient.connect(broker!.host, broker!.port);
        clients.push(c);
        return { id: `m${i}`, c, epoch: 0, acks: new Map() as Acks };
      }),
    );
    const accepted = new Set<string>();
    for (let round = 0; round < 200 && accepted.size < TOTAL; round++) {
      // Every member fetches at once, acknowledging (ACCEPT) what it got last time.
      const results = await Promise.all(
        members.map(async (m) => {
          const partitions = Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, acknowledgementBatches: m.acks.get(p) ?? [] }));
          const r = await m.c.request(78, 2, { groupId: 'cg', memberId: m.id, shareSessionEpoch: m.epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 7, batchSize: 7, shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId, partitions }], forgottenTopicsData: [] });
          expect(r.errorCode).toBe(0);
          m.epoch++;
          for (const [p, batches] of m.acks) for (const b of batches) for (let o = b.firstOffset; o <= b.lastOffset; o++) accepted.add(`${p}:${o}`);
          m.acks = new Map();
          const got: string[] = [];
          for (const part of r.responses[0]?.partitions ?? []) {
            expect(part.errorCode).toBe(0);
            expect(part.acknowledgeErrorCode).toBe(0);
            for (const a of part.acquiredRecords) {
              expect(a.deliveryCount).toBe(1);
              for (let o = a.firstOffset; o <= a.lastOffset; o++) got.push(`${part.partitionIndex}:${o}`);
              const list = m.acks.get(part.partitionIndex) ?? [];
              list.push({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, acknowledgeTypes: [1] });
              m.acks.set(part.partitionIndex, list);
            }
          }
          return got;
        }),
      );
      const held = new Set<string>();
      for (const got of results) {
        for (const o of got) {
          expect(held.has(o), `${o} acquired by two members at once`).toBe(false);
          expect(accepted.has(o), `${o} delivered again after it was accepted`).toBe(false);
          held.add(o);
        }
      }
    }
    expect(accepted.size).toBe(TOTAL);

    // kill -9 and restart: nothing accepted is delivered again.
    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    const c = await RawClient.connect(broker.host, broker.port);
    clients.push(c);
    const after = await c.request(78, 2, { groupId: 'cg', memberId: 'late', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 1000, batchSize: 1000, shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, acknowledgementBatches: [] })) }], forgottenTopicsData: [] });
    expect(after.errorCode).toBe(0);
    expect((after.responses[0]?.partitions ?? []).flatMap((p: any) => p.acquiredRecords)).toEqual([]);
  }, 120_000);
});
