/**
 * Issue 20, ACLs in cluster mode: the ACLs live in etcd (one key, compare-and-swap), so a change
 * made through any broker is enforced by every broker.
 *
 *  - Two authorizers over one etcd prefix (two brokers' worth): a binding created on one is seen
 *    by the other through its watch; concurrent creates on both land (no lost update); a delete
 *    on the second is seen by the first.
 *  - A real two-broker cluster (dist/runnel.mjs) with allow.everyone.if.no.acl.found: CreateAcls
 *    on broker 1 closes a topic on broker 2, while replication (CLUSTER_ACTION on the cluster,
 *    which has no ACL) keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { silentLogger } from '../../src/logger.js';
import { EtcdAclStore } from '../../src/security/acl-store.js';
import { PatternType, PermissionType } from '../../src/security/acl-model.js';
import { AclOperation, AclResourceType, type Principal } from '../../src/security/authorizer.js';
import { DenialAudit } from '../../src/security/denial-audit.js';
import { StandardAuthorizer } from '../../src/security/standard-authorizer.js';
import { RawClient } from '../helpers/raw-client.js';
import { type EtcdCluster, etcdMissing, startEtcd, uniquePrefix } from '../cluster/etcd-harness.js';
import { startRunnelCluster, type RunnelCluster } from '../cluster/cluster-harness.js';
import { STANDARD_AUTHORIZER } from './acl-env.js';

const alice: Principal = { type: 'User', name: 'alice', host: '127.0.0.1' };
const topic = (name: string) => ({ type: AclResourceType.TOPIC, name });
const allowRead = (name: string) => ({ resourceType: AclResourceType.TOPIC, resourceName: name, patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW });

async function until(cond: () => boolean | Promise<boolean>, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(etcdMissing !== null)('ACLs in etcd', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('two brokers\' authorizers share the ACLs: creates, concurrent creates and deletes propagate', async () => {
    const prefix = uniquePrefix('acls');
    const open = async () => {
      const store = new EtcdAclStore(await etcd.connect(prefix), silentLogger());
      const a = await StandardAuthorizer.open({ store, superUsers: '', allowEveryoneIfNoAclFound: false, maxAcls: 100, cacheMaxEntries: 1000, audit: new DenialAudit(silentLogger(), 0), log: silentLogger() });
      return { a, store };
    };
    const one = await open();
    const two = await open();
    try {
      expect(two.a.authorize(alice, AclOperation.READ, topic('t1'))).toBe(false);
      expect(await one.a.create([allowRead('t1')])).toEqual([null]);
      await until(() => two.a.authorize(alice, AclOperation.READ, topic('t1')));
      // Concurrent creates on both: compare-and-swap, retried; neither is lost.
      const results = await Promise.all([one.a.create([allowRead('t2')]), two.a.create([allowRead('t3')])]);
      expect(results).toEqual([[null], [null]]);
      for (const x of [one, two]) await until(() => ['t1', 't2', 't3'].every((n) => x.a.authorize(alice, AclOperation.READ, topic(n))));
      const deleted = await two.a.delete([{ resourceType: AclResourceType.TOPIC, resourceName: 't1', patternType: PatternType.LITERAL, principal: null, host: null, operation: 1, permissionType: 1 }]);
      expect(deleted[0]!.deleted).toHaveLength(1);
      await until(() => !one.a.authorize(alice, AclOperation.READ, topic('t1')));
      expect(one.a.size).toBe(2);
    } finally {
      await one.store.close();
      await two.store.close();
    }
  });

  it('runnel.authorizer.max.acls (10000) short bindings fit one etcd value', async () => {
    const store = new EtcdAclStore(await etcd.connect(uniquePrefix('acls-big')), silentLogger());
    try {
      const a = await StandardAuthorizer.open({ store, superUsers: '', allowEveryoneIfNoAclFound: false, maxAcls: 10000, cacheMaxEntries: 1000, audit: new DenialAudit(silentLogger(), 0), log: silentLogger() });
      const many = Array.from({ length: 10000 }, (_, i) => ({ ...allowRead(`topic-${String(i).padStart(5, '0')}`), principal: `User:user-${i % 100}` }));
      expect((await a.create(many)).every((r) => r === null)).toBe(true);
      expect(a.size).toBe(10000);
      const [over] = await a.create([allowRead('one-more')]);
      expect(over?.code).toBe(ErrorCode.POLICY_VIOLATION);
    } finally {
      await store.close();
    }
  });

  describe('a two-broker cluster', () => {
    let cluster: RunnelCluster;
    beforeAll(async () => {
      cluster = await startRunnelCluster({ brokers: 2, etcd, props: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'allow.everyone.if.no.acl.found': true } });
    }, 90_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    const call = async (id: number, key: number, version: number, body: Record<string, unknown>) => {
      const b = cluster.endpoint(id);
      const c = await RawClient.connect(b.host, b.port);
      try {
        return await c.request(key, version, body);
      } finally {
        c.close();
      }
    };
    const metadataError = async (id: number, name: string) => (await call(id, 3, 12, { topics: [{ name, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false })).topics[0].errorCode;

    it('CreateAcls on broker 1 is enforced by broker 2; replication keeps working', async () => {
      const created = await call(1, 19, 7, { topics: [{ name: 'secret', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 10000 });
      expect(created.topics[0].errorCode).toBe(ErrorCode.NONE);
      await until(async () => (await metadataError(2, 'secret')) === ErrorCode.NONE);
      const acl = await call(1, 30, 3, { creations: [allowRead('secret')].map((b) => ({ ...b, resourcePatternType: b.patternType })) });
      expect(acl.results[0].errorCode).toBe(ErrorCode.NONE);
      await until(async () => (await metadataError(2, 'secret')) === ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      expect(await metadataError(1, 'secret')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      // An open topic still replicates (acks=all needs the follower's fetches, CLUSTER_ACTION).
      const t = await call(1, 19, 7, { topics: [{ name: 'open', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 10000 });
      expect(t.topics[0].errorCode).toBe(ErrorCode.NONE);
      const { buildBatchSync } = await import('../../protocol/records/builder.js');
      await until(async () => {
        const md = await call(1, 3, 12, { topics: [{ name: 'open', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
        const p = md.topics[0].partitions[0];
        if (!p || p.leaderId < 0 || p.isrNodes.length < 2) return false;
        const r = await call(p.leaderId, 0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'open', partitionData: [{ index: 0, records: buildBatchSync([{ value: 'v' }]) }] }] });
        return r.responses[0].partitionResponses[0].errorCode === ErrorCode.NONE;
      }, 30000);
    }, 60_000);
  });
});
