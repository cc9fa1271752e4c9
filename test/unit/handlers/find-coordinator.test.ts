/**
 * FindCoordinator (key 10) against fakes: this broker coordinates every group and transactional
 * id, at the address of the listener the client used; the coordinator's internal topic is created
 * first; unknown key types and stopping coordinators are answered with Kafka's errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newFindCoordinatorRequest, type FindCoordinatorResponse } from '../../../protocol/generated/index.js';
import { fakeBroker, noTransactions, type FakeBroker } from './fakes.js';

const FIND_COORDINATOR = 10;
const GROUP = 0;
const TRANSACTION = 1;

let b: FakeBroker;
afterEach(() => b?.close());

describe('FindCoordinator', () => {
  it('answers this broker, at the advertised address, after creating the offsets topic', async () => {
    b = fakeBroker();
    expect(b.offsetsLog.created).toBe(false);
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(res).toMatchObject({ errorCode: 0, errorMessage: null, nodeId: 1, host: 'broker.test', port: 9092 });
    expect(b.offsetsLog.created).toBe(true);
  });

  it('answers each key of v4, for transactional ids too', async () => {
    b = fakeBroker();
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 4, newFindCoordinatorRequest({ keyType: TRANSACTION, coordinatorKeys: ['a', 'b'] }));
    expect(res.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode])).toEqual([
      ['a', 1, 'broker.test', 9092, 0],
      ['b', 1, 'broker.test', 9092, 0],
    ]);
  });

  it('refuses unknown key types and answers COORDINATOR_NOT_AVAILABLE while a coordinator stops', async () => {
    b = fakeBroker();
    const bad = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'x', keyType: 7 }));
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 });
    const stoppingTxn = { ...noTransactions(), stopping: true };
    const txn = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 't', keyType: TRANSACTION }), { txn: stoppingTxn });
    expect(txn.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    b.coordinator.shutdown();
    const group = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(group).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'COORDINATOR_NOT_AVAILABLE' });
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the offsets topic cannot be created', async () => {
    b = fakeBroker();
    b.offsetsLog.ensure = () => Promise.reject(new Error('disk full'));
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(res.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
