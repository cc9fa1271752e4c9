/**
 * ShareGroupService.fetch / acknowledge over in-memory logs and a persister the test controls:
 * a fetch writes every share partition it changed in one concurrent round (not one awaited write
 * per partition) and answers only after it is durable; a failed write fails every fetch and
 * acknowledgement that rode on it; members fetching the same partitions at once never acquire the
 * same offset; each fetch starts one partition further on, so one backlog cannot take every fetch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { ackCodes, type AppliedAcks } from '../../../src/handlers/share-acks.js';
import { silentLogger } from '../../../src/logger.js';
import type { SharePersister } from '../../../src/share/persister.js';
import { ShareGroupService, type ShareSession } from '../../../src/share/service.js';
import type { SharePartition } from '../../../src/share/share-partition.js';
import type { ShareStateCoordinator } from '../../../src/share/state-coordinator.js';
import type { StoredShareState } from '../../../src/share/state-log.js';
import { StateWrites } from '../../../src/share/state-writes.js';
import { fakeBroker, records, type FakeBroker } from '../handlers/fakes.js';

/** A persister whose writes take `delayMs` (or are held / failed by the test), counting concurrency. */
class TestPersister implements SharePersister {
  writes = 0;
  inFlight = 0;
  mostInFlight = 0;
  failWith: KafkaError | null = null;
  hold: Promise<void> | null = null;
  delayMs = 0;
  async read(): Promise<StoredShareState | null> {
    return null;
  }
  async write(): Promise<void> {
    this.writes++;
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    const failWith = this.failWith;
    try {
      if (this.hold) await this.hold;
      await new Promise((r) => setTimeout(r, this.delayMs * Math.random()));
      if (failWith) throw failWith;
    } finally {
      this.inFlight--;
    }
  }
  async remove(): Promise<void> {}
  async initialize(): Promise<void> {}
  async summary(): Promise<null> {
    return null;
  }
}

let fb: FakeBroker;
let svc: ShareGroupService;
afterEach(() => {
  svc?.shutdown();
  fb?.close();
});

function setup(partitions: number, batchesPer: number, recordsPerBatch: number) {
  fb = fakeBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest' } });
  const topic = fb.topics.add('jobs', partitions);
  for (let p = 0; p < partitions; p++) {
    for (let b = 0; b < batchesPer; b++) fb.partitions.log('jobs', p).append(records(Array.from({ length: recordsPerBatch }, (_, i) => `p${p}-${b}-${i}`)));
  }
  const persister = new TestPersister();
  svc = new ShareGroupService(fb.config, fb.topics, fb.partitions, silentLogger(), { persister, coordinator: {} as ShareStateCoordinator, groupRecords: null });
  const session = (member: string): ShareSession => {
    const s = svc.data.session('g', member, 0) as ShareSession;
    for (let p = 0; p < partitions; p++) s.partitions.set(`${topic.id.toString('hex')}:${p}`, { topicId: topic.id, partition: p });
    return s;
  };
  const fetch = (s: ShareSession, maxRecords: number, writes?: StateWrites<SharePartition>) => svc.data.fetch(s, maxRecords, 1 << 20, 0, async () => ({ end: 0, aborted: () => false }), writes);
  return { topic, persister, session, fetch };
}

/** Every acquired offset of a fetch result: `${partition}:${offset}`. */
function offsetsOf(result: Map<string, { acquired: Array<{ firstOffset: number; lastOffset: number }> }>): string[] {
  const out: string[] = [];
  for (const [key, f] of result) for (const a of f.acquired) for (let o = a.firstOffset; o <= a.lastOffset; o++) out.push(`${key.split(':')[1]}:${o}`);
  return out;
}

describe('share fetch: state writes, concurrency, rotation', () => {
  it("writes all the partitions a fetch acquired from in one concurrent round, and answers only once they are durable", async () => {
    const { persister, session, fetch } = setup(4, 1, 5);
    let release!: () => void;
    persister.hold = new Promise((r) => (release = r));
    let answered = false;
    const pending = fetch(session('m1'), 100).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false); // not before the state is written
    expect(persister.inFlight).toBe(4); // all four share partitions at once, not one after another
    release();
    const r = await pending;
    expect(offsetsOf(r)).toHaveLength(20);
    expect(persister.writes).toBe(4);
  });

  it('a failed state write fails every fetch and acknowledgement that rode on it: nothing handed out, KAFKA_STORAGE_ERROR for the acks', async () => {
    const { persister, session, fetch } = setup(1, 4, 5);
    const m1 = session('m1');
    const first = await fetch(m1, 5);
    expect(offsetsOf(first)).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4']);
    const key = [...first.keys()][0]!;
    const topicId = Buffer.from(key.split(':')[0]!, 'hex');
    persister.failWith = new KafkaError(ErrorCode.NOT_COORDINATOR, 'moved');
    // m1 acknowledges and fetches in one request; m2 fetches at the same time: their writes of the share partition fail.
    const writes = new StateWrites<SharePartition>();
    const applied: AppliedAcks = new Map([[key, await svc.data.acknowledge('g', 'm1', 'jobs', topicId, 0, [{ firstOffset: 0, lastOffset: 4, acknowledgeTypes: [1] }], writes)]]);
    const [r1, r2] = await Promise.all([fetch(m1, 5, writes), fetch(session('m2'), 5)]);
    expect(ackCodes(applied, writes).get(key)).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    for (const r of [r1, r2]) expect(r.get(key)).toMatchObject({ records: null, acquired: [], errorCode: ErrorCode.NOT_COORDINATOR });
    // Writes work again: the next fetch gets records (those the failed fetches acquired stay locked until their lock runs out).
    persister.failWith = null;
    const r3 = await fetch(session('m3'), 5);
    expect(r3.get(key)?.errorCode).toBe(0);
    expect(offsetsOf(r3)).toHaveLength(5);
  });

  it('members fetching the same partitions at once never acquire the same offset', async () => {
    const { persister, session, fetch } = setup(3, 30, 4);
    persister.delayMs = 3;
    const members = Array.from({ length: 6 }, (_, i) => session(`m${i}`));
    const seen = new Set<string>();
    for (let round = 0; round < 50; round++) {
      const results = await Promise.all(members.map((m, i) => fetch(m, 3 + i)));
      let got = 0;
      for (const r of results) {
        for (const o of offsetsOf(r)) {
          expect(seen.has(o), `offset ${o} acquired twice`).toBe(false);
          seen.add(o);
          got++;
        }
      }
      if (got === 0) break;
    }
    expect(seen.size).toBe(3 * 30 * 4); // and every record was acquired, none twice
  });

  it('each fetch of a session starts one partition further on: a partition with a backlog does not take every fetch', async () => {
    const { session, fetch } = setup(3, 20, 5);
    const s = session('m1');
    const partitionsServed = new Set<string>();
    for (let i = 0; i < 3; i++) for (const o of offsetsOf(await fetch(s, 5))) partitionsServed.add(o.split(':')[0]!);
    expect([...partitionsServed].sort()).toEqual(['0', '1', '2']);
  });

  it("reads about what the fetch can take, not its whole byte limit: a 50 MiB maxBytes does not read the backlog", async () => {
    const { session, fetch } = setup(1, 200, 50);
    const partition = fb.partitions.get('jobs', 0)!;
    const asked: number[] = [];
    const read = partition.readBatches.bind(partition);
    partition.readBatches = (from: number, maxBytes: number) => (asked.push(maxBytes), read(from, maxBytes));
    const s = session('m1');
    for (let i = 0; i < 3; i++) expect(offsetsOf(await svc.data.fetch(s, 50, 50 << 20, 0, async () => ({ end: 0, aborted: () => false })))).toHaveLength(50);
    // The first read knows no batch size yet (1 MiB); the next ones are sized for 50 records.
    expect(asked[0]).toBe(1 << 20);
    const batchBytes = fb.partitions.log('jobs', 0).bytes.length / 200;
    for (const n of asked.slice(1)) expect(n).toBeLessThanOrEqual(Math.max(16 << 10, 2 * batchBytes));
  });
});
