/**
 * The produce pipeline through the Produce handler on the port fakes: the order of the stages
 * (which refusal wins), arrival order across batches that need asynchronous work and those that do
 * not, authorization before any byte is read, the acks wait (timeout, failed write), recompression
 * keeping the header, idempotent batches waiting for their partition's producer state, and a
 * partition's first transactional batch waiting for the partition to be recorded as transactional.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import type { ProduceResponse } from '../../../protocol/generated/index.js';
import { CompressionType, batch } from '../../../protocol/records/batch.js';
import type { Authorizer, Resource } from '../../../src/security/authorizer.js';

/** An authorizer deciding by resource only. */
const fakeAuthorizer = (allow: (r: Resource) => boolean): Authorizer => ({
  enabled: true,
  acls: null,
  authorize: (_p, _op, r) => allow(r),
  authorizedOperations: () => 0,
  authorizeAny: () => true,
});
import { fakeBroker, noTransactions, records, type FakeBroker } from '../handlers/fakes.js';
import { LZ4, PRODUCE, answers, keyedBatch, produceRequest, topicWith } from './helpers.js';

let b: FakeBroker;
beforeEach(() => {
  b = fakeBroker();
});
afterEach(() => b.close());

const produce = (topics: Parameters<typeof produceRequest>[0], opts: Parameters<typeof produceRequest>[1] = {}, over = {}) => b.handle<ProduceResponse>(PRODUCE, 9, produceRequest(topics, opts), over);

describe('the order of the stages', () => {
  it('refusals before the batch is read win: acks, then internal topic, then free space, then the partition', async () => {
    b.topics.add('__transaction_state', 1, true);
    topicWith(b, 't', {});
    const corrupt = records(['a']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(answers(await produce({ __transaction_state: [[0, corrupt]] }, { acks: 5 }))['__transaction_state-0']!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    b.partitions.appendRefusal = 'low disk';
    expect(answers(await produce({ __transaction_state: [[0, corrupt]] }))['__transaction_state-0']!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const old = await b.handle<ProduceResponse>(PRODUCE, 2, produceRequest({ t: [[0, corrupt]] }));
    expect(answers(old)['t-0']!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    b.partitions.appendRefusal = null;
    // Produce v0-v2 are served (a RecordBatch v2 in them takes the ordinary path, as in Kafka 2.x).
    const v2 = await b.handle<ProduceResponse>(PRODUCE, 2, produceRequest({ t: [[0, corrupt]], nope: [[0, corrupt]] }));
    expect(answers(v2)).toMatchObject({ 't-0': { errorCode: ErrorCode.CORRUPT_MESSAGE }, 'nope-0': { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } });
  });

  it('the header and CRC are checked before min.insync.replicas; records after it', async () => {
    topicWith(b, 't', { minInsyncReplicas: 2 });
    const corrupt = records(['a']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(answers(await produce({ t: [[0, corrupt]] }))['t-0']).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, logStartOffset: -1 });
    const old = records(['a'], { timestamp: 1 });
    b.topics.settingsOf.set('t', { ...b.topics.settings(b.topics.get('t')!), maxTimestampBeforeMs: 1000 });
    expect(answers(await produce({ t: [[0, old]] }))['t-0']!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(answers(await produce({ t: [[0, old]] }, { acks: 1 }))['t-0']).toMatchObject({ errorCode: ErrorCode.INVALID_TIMESTAMP, logStartOffset: 0, recordErrors: [0] });
  });

  it('a request denied WRITE is refused per partition before any batch is read, for topics that do not exist too', async () => {
    topicWith(b, 't', {});
    topicWith(b, 'open', {});
    const denyT: Authorizer = fakeAuthorizer((r) => r.name !== 't' && r.name !== 'nope');
    const res = await produce({ t: [[0, records(['a'])]], nope: [[0, records(['a'])]], open: [[0, records(['a'])]] }, {}, { authorizer: denyT });
    expect(answers(res)).toMatchObject({
      't-0': { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, baseOffset: -1 },
      'nope-0': { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED },
      'open-0': { errorCode: ErrorCode.NONE, baseOffset: 0 },
    });
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
  });

  it('a transactional request without WRITE on its transactional id is refused for every partition', async () => {
    topicWith(b, 't', {});
    const denyId: Authorizer = fakeAuthorizer((r) => r.name !== 'tx-1');
    const txn = records(['a'], { producerId: 5, producerEpoch: 0, baseSequence: 0, transactional: true });
    const res = await produce({ t: [[0, txn]] }, { transactionalId: 'tx-1' }, { authorizer: denyId });
    expect(answers(res)['t-0']!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // Without transactional batches the id's ACL is not asked for.
    const plain = await produce({ t: [[0, records(['a'])]] }, { transactionalId: 'tx-1' }, { authorizer: denyId });
    expect(answers(plain)['t-0']!.errorCode).toBe(ErrorCode.NONE);
  });
});

describe('arrival order', () => {
  it('an uncompressed batch behind a compressed one on the same partition waits its turn', async () => {
    topicWith(b, 't', {});
    const compressed = await keyedBatch(['a', 'b', 'c'], LZ4);
    const first = produce({ t: [[0, compressed]] });
    const second = produce({ t: [[0, records(['d'])]] });
    // The second could have appended at once, but its partition has a batch waiting.
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
    expect(answers(await first)['t-0']!.baseOffset).toBe(0);
    expect(answers(await second)['t-0']!.baseOffset).toBe(3);
  });

  it('batches of one request keep their order across partitions and recompression', async () => {
    topicWith(b, 't', { compressionType: 'gzip' });
    b.topics.add('u', 2);
    const res = await produce({ t: [[0, records(['a', 'b'])]], u: [[1, await keyedBatch(['x'], LZ4)], [0, records(['y'])]] });
    expect(answers(res)).toMatchObject({ 't-0': { baseOffset: 0 }, 'u-1': { baseOffset: 0 }, 'u-0': { baseOffset: 0 } });
    expect(Object.keys(answers(res))).toEqual(['t-0', 'u-1', 'u-0']);
    const stored = b.partitions.log('t', 0).bytes;
    expect(batch.compression(stored)).toBe(CompressionType.Gzip);
    expect([batch.recordCount(stored), batch.maxTimestamp(stored)]).toEqual([2, 1_700_000_000_001]);
    expect(b.metrics.bytesIn.get('t')).toBe(stored.length);
  });

  it('the first idempotent batch of a partition waits for its producer state, the next ones behind it', async () => {
    topicWith(b, 't', {});
    const idem = { producerId: 9, producerEpoch: 0 };
    const first = produce({ t: [[0, records(['a'], { ...idem, baseSequence: 0 })]] });
    const retry = produce({ t: [[0, records(['a'], { ...idem, baseSequence: 0 })]] });
    const next = produce({ t: [[0, records(['b', 'c'], { ...idem, baseSequence: 1 })]] });
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(0);
    expect(answers(await first)['t-0']!.baseOffset).toBe(0);
    expect(answers(await retry)['t-0']).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(answers(await next)['t-0']!.baseOffset).toBe(1);
    expect(b.partitions.get('t', 0)!.highWatermark).toBe(3);
    expect(b.metrics.messages.get('t')).toBe(3);
  });
});

describe('the acks wait', () => {
  it('a write not done within timeout_ms is REQUEST_TIMED_OUT; acks=0 waits for nothing', async () => {
    topicWith(b, 't', {});
    const p = b.partitions.log('t', 0);
    const append = p.append.bind(p);
    p.append = (bytes, epoch) => ({ ...append(bytes, epoch), written: new Promise<void>(() => undefined) });
    expect(answers(await produce({ t: [[0, records(['a'])]] }, { timeoutMs: 20 }))['t-0']).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1, logStartOffset: -1 });
    expect(await produce({ t: [[0, records(['b'])]] }, { acks: 0 })).toBeNull();
    expect(p.highWatermark).toBe(2);
    expect(b.conn.closed).toBe(false);
  });

  it('a failed write answers its KafkaError code, anything else KAFKA_STORAGE_ERROR', async () => {
    topicWith(b, 't', {});
    const p = b.partitions.log('t', 0);
    const append = p.append.bind(p);
    let failure: Error = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved');
    p.append = (bytes, epoch) => ({ ...append(bytes, epoch), written: Promise.reject(failure) });
    expect(answers(await produce({ t: [[0, records(['a'])]] }))['t-0']).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: 'moved' });
    failure = new Error('EIO');
    expect(answers(await produce({ t: [[0, records(['a'])]] }))['t-0']).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: 'EIO' });
  });

  it('an append that throws a KafkaError refuses only its partition', async () => {
    topicWith(b, 't', {});
    topicWith(b, 'u', {});
    b.partitions.log('t', 0).append = () => {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log is offline');
    };
    const res = await produce({ t: [[0, records(['a'])]], u: [[0, records(['b'])]] });
    expect(answers(res)).toMatchObject({ 't-0': { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: 'log is offline' }, 'u-0': { errorCode: ErrorCode.NONE } });
  });
});

describe('transactional batches', () => {
  /** A transactional-partitions record whose writes complete when the test says so (or fail). */
  function txnRecord() {
    const recorded = new Set<string>();
    const adds: string[] = [];
    let settle: (err?: Error) => void = () => undefined;
    const partitions = {
      has: (t: string, p: number) => recorded.has(`${t}-${p}`),
      add: (parts: ReadonlyArray<readonly [string, number]>) => {
        adds.push(...parts.map(([t, p]) => `${t}-${p}`));
        return new Promise<void>((resolve, reject) => {
          settle = (err) => {
            if (err) return reject(err);
            for (const [t, p] of parts) recorded.add(`${t}-${p}`);
            resolve();
          };
        });
      },
    };
    return { txn: { ...noTransactions(), verify: () => null, partitions }, adds, settle: (err?: Error) => settle(err) };
  }
  const until = async (ok: () => boolean) => {
    for (let i = 0; !ok(); i++) {
      if (i > 500) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const txnBatch = (seq: number) => records([`v${seq}`], { producerId: 5, producerEpoch: 0, baseSequence: seq, transactional: true });

  it("a partition's first transactional batch is appended once the partition is recorded as transactional; later ones at once", async () => {
    topicWith(b, 't', {});
    const r = txnRecord();
    const first = produce({ t: [[0, txnBatch(0)]] }, { transactionalId: 'tx' }, { txn: r.txn });
    await until(() => r.adds.length > 0);
    expect(r.adds).toEqual(['t-0']);
    expect(b.partitions.get('t', 0)!.logEndOffset).toBe(0);
    r.settle();
    expect(answers(await first)['t-0']).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(answers(await produce({ t: [[0, txnBatch(1)]] }, { transactionalId: 'tx' }, { txn: r.txn }))['t-0']).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect(r.adds).toEqual(['t-0']);
  });

  it('a failed record refuses the batch with KAFKA_STORAGE_ERROR, nothing appended', async () => {
    topicWith(b, 't', {});
    const r = txnRecord();
    const res = produce({ t: [[0, txnBatch(0)]] }, { transactionalId: 'tx' }, { txn: r.txn });
    await until(() => r.adds.length > 0);
    r.settle(new Error('ENOSPC'));
    expect(answers(await res)['t-0']!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(b.partitions.get('t', 0)!.logEndOffset).toBe(0);
  });
});
