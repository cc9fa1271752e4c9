/**
 * The transaction coordinator follows `__transaction_state` leadership (a fake leadership moved by
 * hand, an in-memory state log, a fake marker sender): ids of partitions not led here get
 * NOT_COORDINATOR, of a loading one COORDINATOR_LOAD_IN_PROGRESS; a transaction found in
 * PrepareCommit when the partition is loaded is completed (markers with the coordinator epoch,
 * then CompleteCommit) while Ongoing ones keep running; a completion cut off by a resignation
 * writes nothing more and is redone by the next leader, and an EndTxn waiting for it is answered
 * NOT_COORDINATOR; markers refused by a moving leader are
 * retried; and produce verification only refuses unknown producers when every id is coordinated here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { TRANSACTION_STATE_TOPIC as STATE } from '../../../src/data/internal-topic.js';
import { silentLogger } from '../../../src/logger.js';
import type { TransactionCoordinatorDeps } from '../../../src/txn/coordinator-deps.js';
import { TransactionCoordinator } from '../../../src/txn/coordinator.js';
import type { MarkerSender, TxnMarker } from '../../../src/txn/markers.js';
import { decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnLogValue, type TxnState } from '../../../src/txn/records.js';
import { MemoryTxnStateLog } from '../../../src/txn/txn-log.js';
import { realFs } from '../../../storage/fs.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A marker sender that records what it is asked, answering each call with `answer` (default: all written). */
class RecordingMarkers implements MarkerSender {
  readonly sent: Array<{ marker: TxnMarker; partitions: Array<readonly [string, number]> }> = [];
  answer: (partitions: ReadonlyArray<readonly [string, number]>) => Promise<number[]> = async (parts) => parts.map(() => ErrorCode.NONE);

  send(marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>): Promise<number[]> {
    this.sent.push({ marker, partitions: [...partitions] });
    return this.answer(partitions);
  }
}

async function start(stateLog: MemoryTxnStateLog, leadership: FakeLeadership, markers: MarkerSender): Promise<TransactionCoordinator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'txn-ownership-'));
  let nextId = 1000;
  const deps: TransactionCoordinatorDeps = {
    log: silentLogger(),
    config: new BrokerConfig([optionsLayer({})]),
    dataDir,
    stateFs: realFs,
    topics: {
      get: () => undefined,
      all: () => [][Symbol.iterator](),
      settings: () => {
        throw new Error('not used');
      },
      onChange: () => undefined,
      create: async () => null,
    },
    partitions: { get: () => undefined, appendInOrder: () => Promise.reject(new Error('not used')) },
    producerIds: { allocate: async () => nextId++ },
    producerStates: { peek: () => undefined, get: () => Promise.reject(new Error('not used')) },
    groups: { txnMarkerWritten: () => undefined },
    leadership,
    markers,
    stateLog,
  };
  const coord = await TransactionCoordinator.start(deps);
  cleanups.push(async () => {
    await coord.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return coord;
}

const value = (producerId: number, producerEpoch: number, state: TxnState, partitions: Array<[string, number[]]> = []): TxnLogValue => ({
  producerId,
  producerEpoch,
  timeoutMs: 60_000,
  state,
  partitions: new Map(partitions),
  lastUpdateTimestamp: Date.now(),
  startTimestamp: Date.now(),
});

/** The states written for `id`, in log order. */
function statesOf(log: MemoryTxnStateLog, id: string): string[] {
  return log.partitions[log.partitionFor(id)]!.filter((r) => r.key.equals(encodeTxnKey(id))).map((r) => (r.value ? decodeTxnValue(r.value)!.state : 'tombstone'));
}

/** Another transactional id on the same partition as `id`. */
function sibling(log: MemoryTxnStateLog, id: string): string {
  return Array.from({ length: 50 }, (_, i) => `${id}-${i}`).find((x) => log.partitionFor(x) === log.partitionFor(id))!;
}

describe('following __transaction_state leadership', () => {
  it('completes a PrepareCommit when it becomes leader; Ongoing transactions keep running', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tx-prepare';
    const open = sibling(log, id);
    const p = log.partitionFor(id);
    await log.append(id, encodeTxnKey(id), encodeTxnValue(value(7, 2, 'Ongoing', [['t', [0, 1]]])));
    await log.append(id, encodeTxnKey(id), encodeTxnValue(value(7, 2, 'PrepareCommit', [['t', [0, 1]]])));
    await log.append(open, encodeTxnKey(open), encodeTxnValue(value(8, 0, 'Ongoing', [['t', [2]]])));
    const leadership = new FakeLeadership().ledFromStart(STATE, 4);
    leadership.resign(STATE, p, 0);
    const markers = new RecordingMarkers();
    const coord = await start(log, leadership, markers);

    expect(coord.coordinatorError(id)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.initProducerId(id, 60_000, null)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.endTxn(open, 8, 0, true)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await coord.addPartitions(open, 8, 0, [['t', 3]])).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coord.txns.has(id)).toBe(false);
    expect(markers.sent).toEqual([]);

    log.hold();
    const epoch = leadership.lead(STATE, p);
    expect(coord.coordinatorError(id)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(coord.loading).toBe(true);
    expect((await coord.initProducerId(id, 60_000, null)).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    log.release();
    await vi.waitFor(() => expect(coord.txns.get(id)?.state).toBe('CompleteCommit'));

    expect(markers.sent).toEqual([{ marker: { producerId: 7, producerEpoch: 2, coordinatorEpoch: epoch, commit: true }, partitions: [['t', 0], ['t', 1]] }]);
    expect(statesOf(log, id)).toEqual(['Ongoing', 'PrepareCommit', 'CompleteCommit']);
    expect(coord.txns.get(open)).toMatchObject({ state: 'Ongoing', producerId: 8 });
    expect(coord.loading).toBe(false);
    // The open transaction's producer goes on: it can commit.
    expect((await coord.endTxn(open, 8, 0, true)).errorCode).toBe(ErrorCode.NONE);
    await vi.waitFor(() => expect(coord.txns.get(open)?.state).toBe('CompleteCommit'));
  });

  it('a completion cut off by a resignation writes nothing more; the next leader redoes it', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tx-moving';
    const p = log.partitionFor(id);
    await log.append(id, encodeTxnKey(id), encodeTxnValue(value(7, 0, 'PrepareAbort', [['t', [0]]])));
    const leadership = new FakeLeadership().ledFromStart(STATE, 4);
    leadership.resign(STATE, p, 0);
    const markers = new RecordingMarkers();
    let deliver!: (codes: number[]) => void;
    markers.answer = () => new Promise((resolve) => (deliver = resolve));
    const coord = await start(log, leadership, markers);

    leadership.lead(STATE, p);
    await vi.waitFor(() => expect(markers.sent.length).toBe(1));
    leadership.resign(STATE, p);
    expect(coord.txns.has(id)).toBe(false);
    expect(coord.coordinatorError(id)).toBe(ErrorCode.NOT_COORDINATOR);
    deliver([ErrorCode.NONE]);
    await new Promise((r) => setTimeout(r, 20));
    expect(statesOf(log, id)).toEqual(['PrepareAbort']);
    expect(coord.txns.has(id)).toBe(false);

    markers.answer = async (parts) => parts.map(() => ErrorCode.NONE);
    const epoch = leadership.lead(STATE, p);
    await vi.waitFor(() => expect(coord.txns.get(id)?.state).toBe('CompleteAbort'));
    expect(markers.sent.map((s) => s.marker)).toEqual([
      { producerId: 7, producerEpoch: 0, coordinatorEpoch: 1, commit: false },
      { producerId: 7, producerEpoch: 0, coordinatorEpoch: epoch, commit: false },
    ]);
    expect(statesOf(log, id)).toEqual(['PrepareAbort', 'CompleteAbort']);
  });

  it('an EndTxn waiting for its markers is answered NOT_COORDINATOR when the partition moves', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tx-ending';
    const leadership = new FakeLeadership().ledFromStart(STATE, 4);
    const markers = new RecordingMarkers();
    const coord = await start(log, leadership, markers);
    const init = await coord.initProducerId(id, 60_000, null);
    expect(await coord.addPartitions(id, init.producerId, init.producerEpoch, [['t', 0]])).toBe(ErrorCode.NONE);
    markers.answer = () => new Promise(() => undefined);
    const ending = coord.endTxn(id, init.producerId, init.producerEpoch, true);
    await vi.waitFor(() => expect(markers.sent.length).toBe(1));
    leadership.resign(STATE, log.partitionFor(id));
    expect((await ending).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(statesOf(log, id)).toEqual(['Empty', 'Ongoing', 'PrepareCommit']);
  });

  it('retries markers a moving partition leader refused; a deleted partition counts as done', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tx-retry';
    await log.append(id, encodeTxnKey(id), encodeTxnValue(value(7, 0, 'PrepareCommit', [['t', [0, 1]], ['gone', [0]]])));
    const markers = new RecordingMarkers();
    let calls = 0;
    markers.answer = async (parts) => (calls++ === 0 ? parts.map(([t, p]) => (t === 'gone' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : p === 1 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE)) : parts.map(() => ErrorCode.NONE));
    const coord = await start(log, new FakeLeadership().ledFromStart(STATE, 4), markers);
    expect(coord.txns.get(id)?.state).toBe('CompleteCommit');
    expect(markers.sent.map((s) => s.partitions)).toEqual([
      [['t', 0], ['t', 1], ['gone', 0]],
      [['t', 1]],
    ]);
  });

  it('refuses an unknown transactional producer only when it coordinates every transactional id', async () => {
    const log = new MemoryTxnStateLog(4);
    const leadership = new FakeLeadership().ledFromStart(STATE, 4);
    const coord = await start(log, leadership, new RecordingMarkers());
    expect(coord.verify(4242, 0, 't', 0)?.code).toBe(ErrorCode.INVALID_TXN_STATE);
    leadership.resign(STATE, 1);
    // Another broker may coordinate it: as Kafka's partition leaders before KIP-890, it is let through.
    expect(coord.verify(4242, 0, 't', 0)).toBeNull();
    // A producer this coordinator knows is still checked.
    const id = ['a', 'b', 'c', 'd', 'e'].find((x) => log.partitionFor(x) !== 1)!;
    const init = await coord.initProducerId(id, 60_000, null);
    expect(init.errorCode).toBe(ErrorCode.NONE);
    expect(coord.verify(init.producerId, init.producerEpoch, 't', 0)?.code).toBe(ErrorCode.INVALID_TXN_STATE);
  });
});
