/**
 * The ACL matrix's environment: a broker with Kafka's StandardAuthorizer on (no super users,
 * allow.everyone.if.no.acl.found=false), seeded with topics, records, a group, a transactional
 * id; the identity whose requests are checked; and ACL management for the test itself.
 *
 * The identity is abstract (Identity: a principal and how to connect as it): on PLAINTEXT every
 * connection is User:ANONYMOUS, which is what the matrix uses today; a SASL identity (connect +
 * authenticate as User:alice) drops in without touching the cases.
 *
 * ACLs are granted and revoked in process (the broker's AclAdmin), not through CreateAcls: the
 * identity under test must not hold ALTER on the cluster while it is being refused.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ErrorCode } from '../../protocol/errors.js';
import { GroupService } from '../../src/groups/service.js';
import type { AclAdmin } from '../../src/security/acl-admin.js';
import { PatternType, PermissionType } from '../../src/security/acl-model.js';
import { AclOperation, AclResourceType } from '../../src/security/authorizer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

export interface Identity {
  readonly principal: string;
  connect(broker: TestBroker): Promise<RawClient>;
}

/** Every PLAINTEXT connection: Kafka's User:ANONYMOUS. */
export const ANONYMOUS_PLAINTEXT: Identity = {
  principal: 'User:ANONYMOUS',
  connect: (b) => RawClient.connect(b.host, b.port),
};

export const { TOPIC, GROUP, TRANSACTIONAL_ID, CLUSTER } = AclResourceType;
export const Op = AclOperation;

/** One ACL the identity is given: ALLOW `op` on a resource (LITERAL unless said). */
export interface Grant {
  type: number;
  name: string;
  op: number;
  pattern?: number;
}

export const topicGrant = (name: string, op: number): Grant => ({ type: TOPIC, name, op });
export const groupGrant = (name: string, op: number): Grant => ({ type: GROUP, name, op });
export const txnGrant = (name: string, op: number): Grant => ({ type: TRANSACTIONAL_ID, name, op });
export const clusterGrant = (op: number): Grant => ({ type: CLUSTER, name: 'kafka-cluster', op });

/** Names the seeded data uses. */
export const T = 'acl-t';
export const G = 'acl-g';
export const TX = 'acl-tx';

export class AclEnv {
  private constructor(
    readonly broker: TestBroker,
    readonly identity: Identity,
  ) {}

  static async start(identity: Identity, config: Record<string, string | number | boolean> = {}): Promise<AclEnv> {
    const broker = await startTestBroker({ config: { 'authorizer.class.name': STANDARD_AUTHORIZER, 'group.initial.rebalance.delay.ms': 0, ...config } });
    const env = new AclEnv(broker, identity);
    await env.seed();
    return env;
  }

  get acls(): AclAdmin {
    return this.broker.broker.authorizer.acls!;
  }

  get groups(): GroupService {
    return new GroupService(this.broker.broker.groups);
  }

  async grant(grants: readonly Grant[]): Promise<void> {
    if (grants.length === 0) return;
    const results = await this.acls.create(
      grants.map((g) => ({
        resourceType: g.type,
        resourceName: g.name,
        patternType: g.pattern ?? PatternType.LITERAL,
        principal: this.identity.principal,
        host: '*',
        operation: g.op,
        permissionType: PermissionType.ALLOW,
      })),
    );
    if (results.some((r) => r !== null)) throw new Error(`grant failed: ${JSON.stringify(results)}`);
  }

  async revokeAll(): Promise<void> {
    await this.acls.delete([{ resourceType: 1, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: 1, permissionType: PermissionType.ANY }]);
  }

  /** Sends one request as the identity on a fresh connection. */
  async request<T = any>(key: number, version: number, body: Record<string, unknown>): Promise<T> {
    const c = await this.identity.connect(this.broker);
    try {
      const res = await c.request<T>(key, version, body);
      if (res === null) throw new Error(`api ${key} v${version}: connection closed`);
      return res;
    } finally {
      c.close();
    }
  }

  highWatermark(topic: string, partition = 0): number {
    return this.broker.broker.partitions.get(topic, partition)!.highWatermark;
  }

  /** Topics, records, a group with offsets and a transactional id, made while everything is allowed. */
  private async seed(): Promise<void> {
    await this.grant([
      { type: CLUSTER, name: 'kafka-cluster', op: Op.ALL },
      { type: TOPIC, name: '*', op: Op.ALL },
      { type: GROUP, name: '*', op: Op.ALL },
      { type: TRANSACTIONAL_ID, name: '*', op: Op.ALL },
    ]);
    const topics = [T, 'acl-del', 'acl-dr', 'acl-cp', 'acl-m'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }));
    const created = await this.request(19, 7, { topics });
    for (const t of created.topics) if (t.errorCode !== ErrorCode.NONE) throw new Error(`seed: create ${t.name}: ${t.errorCode}`);
    for (const topic of [T, 'acl-dr']) {
      const records = buildBatchSync([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      const r = await this.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      if (r.responses[0].partitionResponses[0].errorCode !== ErrorCode.NONE) throw new Error(`seed: produce ${topic}`);
    }
    for (const group of [G, 'acl-g2']) {
      const r = await this.request(8, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }] });
      if (r.topics[0].partitions[0].errorCode !== ErrorCode.NONE) throw new Error(`seed: commit ${group}`);
    }
    const init = await this.request(22, 4, { transactionalId: TX, transactionTimeoutMs: 60000 });
    if (init.errorCode !== ErrorCode.NONE) throw new Error(`seed: InitProducerId ${init.errorCode}`);
    await this.revokeAll();
  }

  async stop(): Promise<void> {
    await this.broker.cleanup();
  }
}
