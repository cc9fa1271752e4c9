/**
 * The transaction coordinator's transaction-version-2 rules (KIP-890 part 2) that raw requests
 * cannot reach quickly (an in-memory state log, a recording marker sender): an EndTxn at the epoch
 * ceiling rotates the producer id — the markers carry the old id at epoch 32767, the Complete
 * state the new id at epoch 0, and the answer names the new one — its retry is recognised by the
 * previous id, also after the state is replayed (restart); the fencing abort of a running
 * transaction bumps once (Kafka 4.4's behaviour, observed); and verify_only
 * answers without writing anything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { TRANSACTION_STATE_TOPIC as STATE } from '../../../src/data/internal-topic.js';
import { silentLogger } from '../../../src/logger.js';
import { TransactionCoordinator } from '../../../src/txn/coordinator.js';
import type { MarkerSender, TxnMarker } from '../../../src/txn/markers.js';
import { decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnLogValue, type TxnState } from '../../../src/txn/records.js';
import { MemoryTxnStateLog } from '../../../src/txn/txn-log.js';
import { partitionKey } from '../../../src/txn/txn-requests.js';
import { realFs } from '../../../storage/fs.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

class RecordingMarkers implements MarkerSender {
  readonly sent: TxnMarker[] = [];
  async send(marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>): Promise<number[]> {
    this.sent.push(marker);
    return partitions.map(() => ErrorCode.NONE);
  }
}

async function start(stateLog: MemoryTxnStateLog, markers: MarkerSender): Promise<TransactionCoordinator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'txn-v2-'));
  let nextId = 1000;
  const coord = await TransactionCoordinator.start({
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
    leadership: new FakeLeadership().ledFromStart(STATE, stateLog.count),
    markers,
    stateLog,
  });
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

function records(log: MemoryTxnStateLog, id: string): TxnLogValue[] {
  return log.partitions[log.partitionFor(id)]!.filter((r) => r.key.equals(encodeTxnKey(id))).map((r) => decodeTxnValue(r.value!)!);
}

describe('transaction version 2 in the coordinator', () => {
  it('EndTxn at the epoch ceiling moves to a new producer id; the retry is recognised, also after a replay', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tv2-overflow';
    await log.append(id, encodeTxnKey(id), encodeTxnValue(value(8, 32766, 'Ongoing', [['t', [0]]])));
    const markers = new RecordingMarkers();
    const coord = await start(log, markers);

    expect(await coord.endTxn(id, 8, 32766, true, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000, producerEpoch: 0 });
    expect(markers.sent).toEqual([expect.objectContaining({ producerId: 8, producerEpoch: 32767, commit: true })]);
    const [, prepare, complete] = records(log, id);
    expect(prepare).toMatchObject({ state: 'PrepareCommit', producerId: 8, producerEpoch: 32767, nextProducerId: 1000, clientTransactionVersion: 2 });
    expect(complete).toMatchObject({ state: 'CompleteCommit', producerId: 1000, producerEpoch: 0, previousProducerId: 8, nextProducerId: -1, clientTransactionVersion: 2 });
    // The retry (old id, old epoch) gets the new id; the old id otherwise is unknown now.
    expect(await coord.endTxn(id, 8, 32766, true, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000, producerEpoch: 0 });
    expect((await coord.endTxn(id, 8, 32765, true, 2)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await coord.addPartitions(id, 1000, 0, [['t', 1]], 2)).toBe(ErrorCode.NONE);
    await coord.shutdown();

    // A new coordinator replays the log: the new id, and the previous one for retries.
    const again = await start(log, new RecordingMarkers());
    expect(again.txns.get(id)).toMatchObject({ producerId: 1000, producerEpoch: 0, previousProducerId: 8, clientTransactionVersion: 2, state: 'Ongoing' });
    expect(await again.endTxn(id, 1000, 0, false, 2)).toEqual({ errorCode: ErrorCode.NONE, producerId: 1000, producerEpoch: 1 });
  });

  it('fencing a running transaction of a TV2 producer bumps its epoch once, as Kafka 4.4 does', async () => {
    const log = new MemoryTxnStateLog(4);
    const id = 'tv2-fence';
    await log.append(id, encodeTxnKey(id), encodeTxnValue({ ...value(8, 3, 'Ongoing', [['t', [0]]]), clientTransactionVersion: 2 }));
    const markers = new RecordingMarkers();
    const coord = await start(log, markers);
    expect(await coord.initProducerId(id, 60_000, null)).toEqual({ errorCode: ErrorCode.NONE, producerId: 8, producerEpoch: 5 });
    expect(markers.sent).toEqual([expect.objectContaining({ producerId: 8, producerEpoch: 4, commit: false })]);
  });

  it('verify_only answers per partition and writes nothing', async () => {
    const log = new MemoryTxnStateLog(4);
    const coord = await start(log, new RecordingMarkers());
    const id = 'tv2-verify';
    const init = await coord.initProducerId(id, 60_000, null);
    expect(await coord.addPartitions(id, init.producerId, init.producerEpoch, [['t', 0]], 2)).toBe(ErrorCode.NONE);
    const written = records(log, id).length;
    const r = coord.verifyPartitions(id, init.producerId, init.producerEpoch, [['t', 0], ['t', 1]]);
    expect(r).toEqual(new Map([[partitionKey('t', 0), ErrorCode.NONE], [partitionKey('t', 1), ErrorCode.TRANSACTION_ABORTABLE]]));
    expect(coord.verifyPartitions(id, init.producerId, init.producerEpoch - 1, [['t', 0]])).toBe(ErrorCode.PRODUCER_FENCED);
    expect(coord.verifyPartitions(id, init.producerId + 1, init.producerEpoch, [['t', 0]])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(coord.verifyPartitions('never', 1, 0, [['t', 0]])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(records(log, id).length).toBe(written);
    // The implicit add recorded the client's transaction version.
    expect(records(log, id).at(-1)).toMatchObject({ state: 'Ongoing', clientTransactionVersion: 2 });
  });
});
