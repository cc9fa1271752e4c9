/**
 * A cluster-mode leader without sockets (src/replica/leader-replicas.ts through the Partition, over
 * a real replicated PartitionLog): the high watermark stays until followers report, then is the
 * minimum over the (maximal) ISR; Kafka's caught-up rule; who may fetch; acks=all completes,
 * times out and fails on leadership loss; the ISR shrink and expand decisions with a fake clock
 * and a recording ISR writer, one change at a time, a refused change applying the stored state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError, errorName } from '../../../protocol/errors.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../../src/logger.js';
import type { AlterIsrRequest, AlterIsrResult, IsrWriter } from '../../../src/replica/isr-writer.js';
import { Partition, type PartitionState } from '../../../src/replica/partition.js';
import type { ReplicationContext } from '../../../src/replica/replication-context.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { sizedBatch, tempDir } from '../storage/helpers.js';
import { testLogConfig } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const LAG = 10_000;

class RecordingWriter implements IsrWriter {
  readonly requests: AlterIsrRequest[] = [];
  private answers: Array<(r: AlterIsrResult) => void> = [];
  alterIsr(req: AlterIsrRequest): Promise<AlterIsrResult> {
    this.requests.push(req);
    return new Promise((r) => this.answers.push(r));
  }
  /** Answers the oldest request: 'ok' with its ISR and partition epoch + 1, or the given result. */
  answer(result?: AlterIsrResult): void {
    const req = this.requests[this.requests.length - this.answers.length]!;
    const r = result ?? { kind: 'ok', state: { leader: req.leader, leaderEpoch: req.leaderEpoch, partitionEpoch: req.partitionEpoch + 1, replicas: [1, 2, 3], isr: req.isr } };
    this.answers.shift()!(r);
  }
}

async function leader(isr = [1, 2, 3], opts: { noWriter?: boolean; logLines?: string[] } = {}) {
  const t = tempDir('runnel-leader-');
  const log = await PartitionLog.open({ topic: 't', partition: 0, dir: t.dir, config: testLogConfig, replicated: true });
  cleanups.push(t.cleanup, () => log.close());
  const clock = { now: 1_000_000 };
  const writer = new RecordingWriter();
  const ctx: ReplicationContext = { isrWriter: opts.noWriter ? null : writer, replicaLagTimeMaxMs: LAG, metrics: null, logger: opts.logLines ? capturingLogger(opts.logLines) : silentLogger(), now: () => clock.now };
  const p = new Partition(log, Buffer.alloc(16, 1), 1, ctx);
  const state: PartitionState = { leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr };
  p.makeLeader(state);
  const r = p.replication!;
  /** Appends `n` records as leader and waits until they are durable (the visible end). */
  const append = async (n: number, acks = 1) => {
    const a = p.append(sizedBatch(n, 10), acks, 1);
    await a.written;
    return a;
  };
  const fetch = (id: number, offset: number) => r.updateFollowerFetchState(id, offset, 0, r.followerFetchEnd, clock.now);
  return { p, r, log, clock, writer, append, fetch };
}

const tick = () => new Promise((res) => setImmediate(res));

/** A pino logger at info whose lines land in `lines`. */
function capturingLogger(lines: string[]) {
  return createLogger('info', new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
}

describe('leader: high watermark', () => {
  it('stays until the followers report, then is the minimum over the ISR', async () => {
    const { p, append, fetch } = await leader();
    await append(5);
    expect([p.logEndOffset, p.highWatermark]).toEqual([5, 0]);
    fetch(2, 5);
    expect(p.highWatermark).toBe(0); // 3 has not fetched: its end is unknown
    fetch(3, 3);
    expect(p.highWatermark).toBe(3);
    fetch(3, 5);
    expect(p.highWatermark).toBe(5);
    // Never back.
    fetch(2, 4);
    expect(p.highWatermark).toBe(5);
  });

  it('an ISR of one moves with the leader own durable end', async () => {
    const { p, append } = await leader([1]);
    await append(4);
    expect(p.highWatermark).toBe(4);
  });

  it('a follower out of the ISR but caught up recently holds the high watermark (Kafka waits for it to join)', async () => {
    // No ISR writer: the follower cannot join (with one, its expansion is pending and it counts anyway).
    const { p, clock, append, fetch } = await leader([1, 2], { noWriter: true });
    await append(4);
    fetch(2, 4);
    fetch(3, 4); // caught up: at the leader's end
    expect(p.highWatermark).toBe(4);
    await append(4);
    fetch(2, 8);
    fetch(3, 6);
    expect(p.highWatermark).toBe(6);
    clock.now += LAG + 1; // 3 no longer caught up within the lag: not waited for from the next event on
    p.replication!.maybeShrinkIsr(clock.now); // the periodic check is such an event
    expect(p.highWatermark).toBe(8);
  });
});

describe('leader: serving followers', () => {
  it('refuses replicas that are not followers of the partition, as Kafka does', async () => {
    const { r } = await leader();
    expect(errorName(r.checkFollowerFetch(2, 1))).toBe('NONE');
    expect(errorName(r.checkFollowerFetch(7, 1))).toBe('UNKNOWN_LEADER_EPOCH');
    expect(errorName(r.checkFollowerFetch(7, -1))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(r.checkFollowerFetch(1, -1))).toBe('NOT_LEADER_OR_FOLLOWER'); // itself
    expect(errorName(r.checkFollowerFetch(2, 0))).toBe('FENCED_LEADER_EPOCH');
    expect(errorName(r.checkFollowerFetch(2, 2))).toBe('UNKNOWN_LEADER_EPOCH');
  });
});

describe('leader: acks=all', () => {
  const outcome = (p: Promise<void> | null) => p!.then(() => 'NONE', (e: KafkaError) => errorName(e.code));

  it('completes once the ISR has the batch; times out otherwise', async () => {
    const { p, append, fetch } = await leader([1, 2, 3]);
    const a = await append(2, -1);
    const ack = outcome(p.acknowledgement(a, -1, 2, 60_000));
    fetch(2, 2);
    await tick();
    fetch(3, 2);
    expect(await ack).toBe('NONE');
    const b = await append(1, -1);
    expect(await outcome(p.acknowledgement(b, -1, 2, 30))).toBe('REQUEST_TIMED_OUT');
    expect(p.replication!.leaderReplicas!.delayed.size).toBe(0);
  });

  it('a timeout logs which followers held the high watermark back, and why', async () => {
    const lines: string[] = [];
    const { p, append, fetch } = await leader([1, 2, 3], { logLines: lines });
    const a = await append(2, -1);
    fetch(2, 2);
    expect(await outcome(p.acknowledgement(a, -1, 2, 20))).toBe('REQUEST_TIMED_OUT');
    await new Promise((r) => setTimeout(r, 20)); // pino writes asynchronously
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'acks=all produce timed out: the high watermark did not reach it');
    expect(line).toMatchObject({ required: 2, highWatermark: 0, endOffset: 2, isr: [1, 2, 3] });
    expect(line.followers).toEqual([
      expect.objectContaining({ id: 2, logEndOffset: 2, inMaximalIsr: true }),
      expect.objectContaining({ id: 3, logEndOffset: -1, inMaximalIsr: true }),
    ]);
  });

  it('fails with NOT_LEADER_OR_FOLLOWER when the broker stops leading', async () => {
    const { p, append } = await leader([1, 2]);
    const a = await append(1, -1);
    const ack = outcome(p.acknowledgement(a, -1, 1, 60_000));
    p.makeFollower({ leaderEpoch: 2, partitionEpoch: 2, replicas: [1, 2, 3], isr: [2] }, 2);
    expect(await ack).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(() => p.append(sizedBatch(1, 10), 1, 1)).toThrow(KafkaError);
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below the minimum meanwhile', async () => {
    const { p, writer, clock, append, fetch } = await leader([1, 2]);
    fetch(2, 0);
    const a = await append(1, -1);
    const ack = outcome(p.acknowledgement(a, -1, 2, 60_000));
    clock.now += LAG + 1;
    p.replication!.maybeShrinkIsr(clock.now);
    expect(writer.requests.map((r) => r.isr)).toEqual([[1]]);
    writer.answer();
    expect(await ack).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND');
    expect([p.isr, p.partitionEpoch, p.highWatermark]).toEqual([[1], 2, 1]);
  });
});

describe('leader: ISR changes', () => {
  it('shrink: only followers not caught up within replica.lag.time.max.ms, never the leader, one change at a time', async () => {
    const { p, r, writer, clock, append, fetch } = await leader([1, 2, 3]);
    await append(3);
    fetch(2, 3);
    fetch(3, 1);
    clock.now += LAG; // exactly the lag: still in sync
    r.maybeShrinkIsr(clock.now);
    expect(writer.requests).toEqual([]);
    clock.now += 1;
    fetch(2, 3); // 2 at the leader's end: caught up now
    r.maybeShrinkIsr(clock.now);
    expect(writer.requests.map((q) => [q.isr, q.added, q.partitionEpoch])).toEqual([[[1, 2], [], 1]]);
    r.maybeShrinkIsr(clock.now); // pending: no second request
    expect(writer.requests.length).toBe(1);
    // While pending the high watermark still waits for 3 (the maximal ISR holds it).
    expect(p.highWatermark).toBe(1);
    writer.answer();
    await tick();
    expect([p.isr, p.partitionEpoch, p.highWatermark]).toEqual([[1, 2], 2, 3]);
  });

  it('expand: a follower at the high watermark and past the start of the leader epoch joins', async () => {
    const { p, writer, append, fetch } = await leader([1, 2]);
    await append(4);
    fetch(2, 4);
    expect(p.highWatermark).toBe(4);
    fetch(3, 3); // behind the high watermark
    expect(writer.requests).toEqual([]);
    fetch(3, 4);
    expect(writer.requests.map((q) => [q.isr, q.added])).toEqual([[[1, 2, 3], [3]]]);
    // Pending addition: counted in the high watermark and for acks=all already.
    await append(1);
    fetch(2, 5);
    expect(p.highWatermark).toBe(4);
    fetch(3, 5);
    expect(p.highWatermark).toBe(5);
    writer.answer();
    await tick();
    expect(p.isr).toEqual([1, 2, 3]);
  });

  it('a follower that has not reached the start of the leader epoch does not join', async () => {
    const t = await leader([1]);
    await t.append(2);
    // A new leader epoch starts at 2; an empty follower at 0 = the high watermark of an ISR... of one.
    t.p.makeLeader({ leaderEpoch: 2, partitionEpoch: 2, replicas: [1, 2, 3], isr: [1] });
    expect(t.p.leaderEpochStartOffset).toBe(2);
    t.fetch(3, 1);
    expect(t.writer.requests).toEqual([]);
  });

  it('a refused change applies the state stored now when it is still ours', async () => {
    const { p, r, writer, clock, append, fetch } = await leader([1, 2, 3]);
    fetch(2, 0);
    clock.now += LAG + 1;
    r.maybeShrinkIsr(clock.now);
    writer.answer({ kind: 'stale', state: { leader: 1, leaderEpoch: 1, partitionEpoch: 5, replicas: [1, 2, 3], isr: [1, 2] } });
    await tick();
    expect([p.isr, p.partitionEpoch]).toEqual([[1, 2], 5]);
    // Another leader epoch's state is left to the metadata image.
    await append(1); // 2 is no longer at the leader's end
    r.maybeShrinkIsr((clock.now += LAG + 1));
    writer.answer({ kind: 'stale', state: { leader: 2, leaderEpoch: 2, partitionEpoch: 6, replicas: [1, 2, 3], isr: [2] } });
    await tick();
    expect([p.isLeader, p.partitionEpoch]).toEqual([true, 5]);
  });

  it('a new leader epoch forgets what followers reported; ISR members count as caught up from then', async () => {
    const { p, r, writer, clock, append, fetch } = await leader([1, 2, 3]);
    await append(2);
    fetch(2, 2);
    fetch(3, 2);
    expect(p.highWatermark).toBe(2);
    p.makeLeader({ leaderEpoch: 3, partitionEpoch: 3, replicas: [1, 2, 3], isr: [1, 2, 3] });
    expect(r.leaderReplicas!.follower(2)!.logEndOffset).toBe(-1);
    await append(1);
    expect(p.highWatermark).toBe(2);
    clock.now += LAG; // within the lag since becoming leader
    r.maybeShrinkIsr(clock.now);
    expect(writer.requests).toEqual([]);
  });
});

describe('errors', () => {
  it('acknowledgement on a follower rejects NOT_LEADER_OR_FOLLOWER', async () => {
    const { p, append } = await leader([1]);
    const a = await append(1);
    p.makeFollower({ leaderEpoch: 2, partitionEpoch: 2, replicas: [1, 2, 3], isr: [2] }, 2);
    await expect(p.acknowledgement(a, -1, 1, 1000)).rejects.toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });
});
