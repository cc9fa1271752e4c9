/**
 * Attacks on the broker's stateful services, on the shared broker: JoinGroup with hostile
 * timeouts and metadata (the group coordinator keeps what members send), InitProducerId with
 * hostile timeouts and many transactional ids, OffsetCommit with huge metadata, and huge or deeply
 * nested schemas POSTed to the schema registry.
 */
import { it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newJoinGroupRequestProtocol, newOffsetCommitRequestPartition, newOffsetCommitRequestTopic } from '../../../protocol/generated/index.js';
import { type Session, sleep } from '../harness.js';
import { decodeResponse, openSocket, RawClient, request, roundTrip, writeFrames } from '../frames.js';
import { destroyAll, expectHealthy, MiB } from './common.js';

/** Registers the group, transaction, offset and registry cases (shared broker). */
export function coordinatorAttacks(session: () => Session): void {
  it('JoinGroup with session timeout 0, huge timeouts and huge metadata', async () => {
    const s = session();
    const r = await s.attack('JoinGroup timeouts and metadata', async ({ broker }) => {
      const problems: string[] = [];
      const join = (group: string, session: number, rebalance: number, metadata: Buffer, memberId = '') =>
        request(11, 5, { groupId: group, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata })] });
      const zero = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-0', sessionTimeoutMs: 0, rebalanceTimeoutMs: 1000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range' })] });
      if (zero?.errorCode !== ErrorCode.INVALID_SESSION_TIMEOUT) problems.push(`session timeout 0: error ${zero?.errorCode}, expected INVALID_SESSION_TIMEOUT`);
      const huge = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-1', sessionTimeoutMs: 0x7fffffff, rebalanceTimeoutMs: 1000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range' })] });
      if (huge?.errorCode !== ErrorCode.INVALID_SESSION_TIMEOUT) problems.push(`session timeout 2^31-1: error ${huge?.errorCode}, expected INVALID_SESSION_TIMEOUT`);
      // A member with a 2^31-1 ms rebalance timeout, then a second member forcing a rebalance.
      const a = await RawClient.connect(broker.host, broker.port);
      a.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8)));
      const first = await a.readFrame(5000);
      const memberA = first ? decodeResponse(11, 5, first).body.memberId : '';
      a.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8), memberA));
      await a.readFrame(5000).catch(() => null);
      const b = await RawClient.connect(broker.host, broker.port);
      b.write(join('hj-2', 10_000, 0x7fffffff, Buffer.alloc(8)));
      b.write(join('hj-2', 10_000, 1000, Buffer.alloc(8)));
      await sleep(2000);
      a.close();
      b.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('JoinGroup into 300 groups with 512 KiB of protocol metadata each', async () => {
    const s = session();
    const r = await s.attack('300 groups × 512 KiB JoinGroup metadata', async ({ broker }) => {
      const meta = Buffer.alloc(512 * 1024, 1);
      const join = (group: string) =>
        request(11, 5, { groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata: meta })] });
      const conns = await Promise.all(Array.from({ length: 10 }, () => openSocket(broker.host, broker.port)));
      const deadline = Date.now() + 15_000;
      await Promise.all(conns.map((c, i) => writeFrames(c, Array.from({ length: 30 }, (_, j) => join(`hj-meta-${i}-${j}`)), deadline)));
      await sleep(1500);
      destroyAll(conns);
    });
    expectHealthy(r);
  });

  it('JoinGroup with 8 MiB of protocol metadata is refused; it would be kept while the member stays', async () => {
    const s = session();
    const r = await s.attack('JoinGroup with 8 MiB of metadata', async ({ broker }) => {
      const problems: string[] = [];
      const big = await roundTrip(broker.host, broker.port, 11, 5, { groupId: 'hj-big', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: 'known-member', groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata: Buffer.alloc(8 * 1024 * 1024, 1) })] });
      if (big?.errorCode !== ErrorCode.INVALID_REQUEST) problems.push(`8 MiB metadata: error ${big?.errorCode}, expected INVALID_REQUEST`);
      return problems;
    });
    expectHealthy(r);
  });

  it('JoinGroup listing one protocol name twice still completes (found by the fuzzer)', async () => {
    const s = session();
    // Counted twice, the name was never "supported by every member": the rebalance timer threw
    // on every attempt, the joiner waited forever and real consumers of the group got
    // INCONSISTENT_GROUP_PROTOCOL.
    const r = await s.attack('JoinGroup with a duplicated protocol name', async ({ broker }) => {
      const problems: string[] = [];
      const c = await RawClient.connect(broker.host, broker.port);
      const join = (memberId: string, names: string[]) =>
        request(11, 5, { groupId: 'hostile-dup-protocols', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols: names.map((name) => newJoinGroupRequestProtocol({ name })) });
      c.write(join('', ['range', 'range']));
      const first = decodeResponse(11, 5, (await c.readFrame(5000))!).body;
      c.write(join(first.memberId, ['range', 'range']));
      const second = await c.readFrame(5000).catch(() => null);
      if (second === null) problems.push('the member listing "range" twice never got its JoinGroup answer');
      else if (decodeResponse(11, 5, second).body.errorCode !== ErrorCode.NONE) problems.push(`JoinGroup answered error ${decodeResponse(11, 5, second).body.errorCode}`);
      c.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('InitProducerId with huge transaction timeouts and many transactional ids', async () => {
    const s = session();
    const r = await s.attack('InitProducerId abuse', async ({ broker }) => {
      const problems: string[] = [];
      for (const timeout of [0x7fffffff, -1]) {
        const res = await roundTrip(broker.host, broker.port, 22, 2, { transactionalId: `ht-${timeout}`, transactionTimeoutMs: timeout });
        if (res?.errorCode !== ErrorCode.INVALID_TRANSACTION_TIMEOUT) problems.push(`transaction timeout ${timeout}: error ${res?.errorCode}, expected INVALID_TRANSACTION_TIMEOUT`);
      }
      // 3,000 transactional ids over 30 connections.
      const clients = await Promise.all(Array.from({ length: 30 }, () => RawClient.connect(broker.host, broker.port)));
      const deadline = Date.now() + 20_000;
      let done = 0;
      await Promise.all(
        clients.map(async (c, i) => {
          for (let j = 0; j < 100 && Date.now() < deadline; j++) {
            const res = await c.request(22, 2, { transactionalId: `hostile-txn-${i}-${j}`, transactionTimeoutMs: 60_000 }).catch(() => null);
            if (res?.errorCode === ErrorCode.NONE) done++;
          }
        }),
      );
      clients.forEach((c) => c.close());
      console.log(`  ${done} transactional ids initialised`);
      return problems;
    });
    expectHealthy(r);
  });

  it('OffsetCommit with huge metadata strings', async () => {
    const s = session();
    const r = await s.attack('OffsetCommit metadata abuse', async ({ broker, pair }) => {
      const problems: string[] = [];
      const commit = (group: string, partitions: number, metadata: string) =>
        request(8, 2, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          retentionTimeMs: -1,
          topics: [
            newOffsetCommitRequestTopic({
              name: pair!.topic,
              partitions: Array.from({ length: partitions }, (_, p) => newOffsetCommitRequestPartition({ partitionIndex: p, committedOffset: 1, committedMetadata: metadata })),
            }),
          ],
        });
      const c = await RawClient.connect(broker.host, broker.port);
      c.write(commit('hostile-oc-big', 1, 'm'.repeat(32_000)));
      const f = await c.readFrame(5000);
      const code = f ? decodeResponse(8, 2, f).body.topics[0].partitions[0].errorCode : null;
      if (code !== ErrorCode.OFFSET_METADATA_TOO_LARGE) problems.push(`32 kB offset metadata: error ${code}, expected OFFSET_METADATA_TOO_LARGE`);
      // 1,000 partitions × 4000-byte metadata (just under offset.metadata.max.bytes), 3 groups.
      for (let g = 0; g < 3; g++) {
        c.write(commit(`hostile-oc-${g}`, 1000, 'm'.repeat(4000)));
        await c.readFrame(20_000).catch(() => problems.push(`a 1,000-partition OffsetCommit was not answered in 20 s`));
      }
      c.close();
      return problems;
    });
    expectHealthy(r);
  });

  it('huge and deeply nested schemas POSTed to the schema registry', async () => {
    const s = session();
    // The bodies are built before the attack (stringifying 8 MiB competes with the broker for CPU).
    // A record with 200,000 fields (~8 MiB of schema text).
    const fields = Array.from({ length: 200_000 }, (_, i) => ({ name: `f${i}`, type: 'string' }));
    const wide = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'Wide', fields }) });
    // Arrays nested 20,000 deep.
    const deep = JSON.stringify({ schema: '{"type":"array","items":'.repeat(20_000) + '"int"' + '}'.repeat(20_000) });
    const junk = Array.from({ length: 6 }, (_, i) => JSON.stringify({ schema: 'x'.repeat(15 * MiB + i) }));
    const r = await s.attack('schema registry abuse', async ({ broker }) => {
      const problems: string[] = [];
      const url = `${broker.registryUrl}/subjects/hostile-value/versions`;
      const post = async (body: string | Buffer) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body }).catch((e: Error) => e);
        if (res instanceof Error) return `error ${res.message}`;
        await res.arrayBuffer();
        return res.status;
      };
      // Wide, deep, a 64 MiB body, and 6 parallel 15 MiB bodies of junk.
      const statuses = [await post(wide), await post(deep), await post(Buffer.alloc(64 * MiB, 0x20))];
      statuses.push(...(await Promise.all(junk.map((body) => post(body)))));
      console.log(`  registry statuses: ${statuses.join(', ')}`);
      // Refusing (4xx) or cutting the connection of an oversized body is fine; a 5xx is not.
      if (statuses.some((st) => typeof st === 'number' && st >= 500)) problems.push(`the registry answered ${statuses.join(', ')} (5xx)`);
      return problems;
    });
    expectHealthy(r);
  });
}
