/**
 * The ACL matrix's environment: a broker with Kafka's StandardAuthorizer on, seeded with topics,
 * records, groups and a transactional id; the identity whose requests are checked; and an admin
 * that manages ACLs over the wire (CreateAcls/DeleteAcls), so the same environment runs against
 * Runnel and against Apache Kafka (test/differential/acl-matrix.test.ts over PLAINTEXT,
 * test/differential/sasl-ssl-acl.test.ts over SASL_SSL).
 *
 * Identities are abstract (Identity: a principal, the host ACLs name it by, how to connect). On
 * PLAINTEXT every connection is User:ANONYMOUS, so the two are told apart by host, as Kafka's
 * ACLs allow: the admin connects from 127.0.0.1 and holds ALL on every resource for that host; the
 * identity under test connects from 127.0.0.2 and holds only what a case grants it. (Kafka's own
 * controller connects from 127.0.0.1 too, so it keeps CLUSTER_ACTION.) On SASL_SSL
 * (saslSslIdentity) the principal tells them apart: User:alice logged in with SCRAM, the admin
 * User:admin with PLAIN, both at host `*`; the cases are the same. Each identity keeps one
 * connection (logged in once); ACLs are revoked and listed by principal and host.
 *
 * Both brokers run with allow.everyone.if.no.acl.found=true only so that Kafka's controller can
 * start before any ACL exists; the admin's ACLs put an ACL on every resource of every type the
 * matrix uses (literal `*`, the cluster), so for the identity nothing is open without a grant.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { PatternType, PermissionType } from '../../src/security/acl-model.js';
import { AclOperation, AclResourceType } from '../../src/security/authorizer.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { saslLogin } from '../helpers/sasl.js';

export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
/** The broker settings both targets run the matrix with. */
export const MATRIX_BROKER_CONFIG = { 'authorizer.class.name': STANDARD_AUTHORIZER, 'allow.everyone.if.no.acl.found': true };

export interface Endpoint {
  host: string;
  port: number;
}

export interface Identity {
  readonly principal: string;
  /** The host its ACLs name. */
  readonly host: string;
  connect(to: Endpoint): Promise<RawClient>;
}

/** The identity under test on PLAINTEXT: User:ANONYMOUS from 127.0.0.2. */
export const ANONYMOUS_PLAINTEXT: Identity = {
  principal: 'User:ANONYMOUS',
  host: '127.0.0.2',
  connect: (to) => RawClient.connect(to.host, to.port, '127.0.0.2'),
};

/** The admin on PLAINTEXT: User:ANONYMOUS from 127.0.0.1, with ALL for that host. */
export const ADMIN_PLAINTEXT: Identity = {
  principal: 'User:ANONYMOUS',
  host: '127.0.0.1',
  connect: (to) => RawClient.connect(to.host, to.port, '127.0.0.1'),
};

/**
 * A SASL_SSL identity: a TLS connection trusting `ca`, then SaslHandshake + SaslAuthenticate with
 * `mechanism` (PLAIN or SCRAM-SHA-256/512). Its ACLs name host `*` (the principal tells it apart).
 */
export function saslSslIdentity(user: string, password: string, mechanism: string, ca: Buffer): Identity {
  return {
    principal: `User:${user}`,
    host: '*',
    async connect(to) {
      const c = await RawClient.connectTls(to.host, to.port, { ca: [ca] });
      c.responseTimeoutMs = 15000;
      const r = await saslLogin(c, mechanism, user, password);
      if (r?.errorCode !== ErrorCode.NONE) {
        c.close();
        throw new Error(`${user} could not log in with ${mechanism}: ${JSON.stringify(r)}`);
      }
      return c;
    },
  };
}

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

const ANY = 1;

export class AclEnv {
  /** One open connection per identity (request()). */
  private readonly connections = new Map<Identity, RawClient>();

  private constructor(
    readonly endpoint: Endpoint,
    readonly identity: Identity,
    readonly admin: Identity,
    /** The Runnel broker when the target is Runnel (in-process checks of unchanged data). */
    readonly runnel: TestBroker | null,
    private readonly stopTarget: () => Promise<void>,
  ) {}

  /**
   * A Runnel broker with the matrix's config (plus `config`: listeners, SASL, TLS), reached at its
   * first advertised listener.
   */
  static async runnel(identity = ANONYMOUS_PLAINTEXT, admin = ADMIN_PLAINTEXT, config: Record<string, string | number | boolean> = {}): Promise<AclEnv> {
    const listeners = 'listeners' in config ? { host: undefined, port: undefined } : {};
    const broker = await startTestBroker({ ...listeners, config: { ...MATRIX_BROKER_CONFIG, 'group.initial.rebalance.delay.ms': 0, ...config } });
    const at = broker.broker.advertised[0]!;
    try {
      return await AclEnv.over({ host: at.host, port: at.port }, identity, admin, broker, () => broker.cleanup());
    } catch (e) {
      await broker.cleanup();
      throw e;
    }
  }

  /** Any broker started with MATRIX_BROKER_CONFIG (Apache Kafka in the differential test). */
  static async over(endpoint: Endpoint, identity: Identity, admin: Identity, runnel: TestBroker | null, stop: () => Promise<void>): Promise<AclEnv> {
    const env = new AclEnv(endpoint, identity, admin, runnel, stop);
    await env.adminAcls('create', [
      { type: CLUSTER, name: 'kafka-cluster', op: Op.ALL },
      { type: TOPIC, name: '*', op: Op.ALL },
      { type: GROUP, name: '*', op: Op.ALL },
      { type: TRANSACTIONAL_ID, name: '*', op: Op.ALL },
    ]);
    await env.seed();
    return env;
  }

  /** Grants the identity `grants`, and waits until the broker applies them. */
  async grant(grants: readonly Grant[]): Promise<void> {
    if (grants.length === 0) return;
    const r = await this.request(30, 3, { creations: grants.map((g) => this.creation(g, this.identity)) }, this.admin);
    for (const x of r.results) if (x.errorCode !== ErrorCode.NONE) throw new Error(`grant failed: ${errorName(x.errorCode)} ${x.errorMessage}`);
    await this.settle(async () => {
      const held = new Set((await this.describe()).flatMap((res: any) => res.acls.map((a: any) => `${res.resourceType}:${res.resourceName}:${a.operation}`)));
      return grants.every((g) => held.has(`${g.type}:${g.name}:${g.op}`));
    });
  }

  /** Removes every ACL of the identity (its principal at its host). */
  async revokeAll(): Promise<void> {
    const filter = { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: this.identity.principal, hostFilter: this.identity.host, operation: ANY, permissionType: ANY };
    const r = await this.request(31, 3, { filters: [filter] }, this.admin);
    if (r.filterResults[0].errorCode !== ErrorCode.NONE) throw new Error(`revoke failed: ${errorName(r.filterResults[0].errorCode)}`);
    if (r.filterResults[0].matchingAcls.length > 0) await this.settle(async () => (await this.describe()).length === 0);
  }

  /** The identity's ACLs (DescribeAcls as the admin). */
  async describe(who: Identity = this.identity): Promise<Array<{ resourceType: number; resourceName: string; acls: unknown[] }>> {
    return (await this.describeAcls(who)).resources;
  }

  /** The whole DescribeAcls v3 response for `who`'s ACLs (as the admin). */
  async describeAcls(who: Identity = this.identity): Promise<any> {
    return this.request(29, 3, { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: who.principal, hostFilter: who.host, operation: ANY, permissionType: ANY }, this.admin);
  }

  /**
   * Sends one request as the identity (unless `as` is given), on its open connection or a new one
   * (a SASL_SSL identity's TLS handshake and login happen once, not per request: Kafka and Runnel
   * authorize each request, whatever connection it comes on).
   */
  async request<T = any>(key: number, version: number, body: Record<string, unknown>, as: Identity = this.identity): Promise<T> {
    let c = this.connections.get(as);
    if (c === undefined || c.closed) {
      c = await as.connect(this.endpoint);
      c.responseTimeoutMs = 15000;
      this.connections.set(as, c);
    }
    try {
      const res = await c.request<T>(key, version, body);
      if (res === null) throw new Error(`api ${key} v${version}: connection closed`);
      return res;
    } catch (err) {
      c.close();
      this.connections.delete(as);
      throw err;
    }
  }

  highWatermark(topic: string, partition = 0): number {
    return this.runnel!.broker.partitions.get(topic, partition)!.highWatermark;
  }

  async stop(): Promise<void> {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    await this.stopTarget();
  }

  private creation(g: Grant, who: Identity) {
    return { resourceType: g.type, resourceName: g.name, resourcePatternType: g.pattern ?? PatternType.LITERAL, principal: who.principal, host: who.host, operation: g.op, permissionType: PermissionType.ALLOW };
  }

  private async adminAcls(_op: 'create', grants: Grant[]): Promise<void> {
    const r = await this.request(30, 3, { creations: grants.map((g) => this.creation(g, this.admin)) }, this.admin);
    for (const x of r.results) if (x.errorCode !== ErrorCode.NONE) throw new Error(`admin ACLs: ${errorName(x.errorCode)} ${x.errorMessage}`);
    await this.settle(async () => (await this.describe(this.admin)).length >= grants.length);
  }

  /**
   * Kafka applies an ACL change to its authorizer a moment after CreateAcls/DeleteAcls answer (the
   * metadata log), Runnel before answering: against Kafka, poll DescribeAcls (read from the same
   * authorizer state) until the change shows.
   */
  private async settle(applied: () => Promise<boolean>): Promise<void> {
    if (this.runnel !== null) return;
    for (let i = 0; i < 200 && !(await applied()); i++) await new Promise((r) => setTimeout(r, 25));
  }

  /** Topics, records, groups with offsets and a transactional id, made as the admin. */
  private async seed(): Promise<void> {
    const a = this.admin;
    const topics = [T, 'acl-del', 'acl-dr', 'acl-cp', 'acl-m'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }));
    const created = await this.request(19, 7, { topics, timeoutMs: 10000 }, a);
    for (const t of created.topics) if (t.errorCode !== ErrorCode.NONE) throw new Error(`seed: create ${t.name}: ${errorName(t.errorCode)}`);
    for (const topic of [T, 'acl-dr']) {
      const records = buildBatchSync([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      for (let attempt = 0; ; attempt++) {
        const r = await this.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, a);
        const code = r.responses[0].partitionResponses[0].errorCode;
        if (code === ErrorCode.NONE) break;
        // Kafka: the new partition's leadership may take a moment.
        if (attempt > 50) throw new Error(`seed: produce ${topic}: ${errorName(code)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    for (const group of [G, 'acl-g2']) {
      for (let attempt = 0; ; attempt++) {
        const r = await this.request(8, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }] }, a);
        const code = r.topics[0].partitions[0].errorCode;
        if (code === ErrorCode.NONE) break;
        // COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR while the offsets topic is created.
        if (attempt > 100) throw new Error(`seed: commit ${group}: ${errorName(code)}`);
        await this.request(10, 4, { keyType: 0, coordinatorKeys: [group] }, a);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    for (let attempt = 0; ; attempt++) {
      const init = await this.request(22, 4, { transactionalId: TX, transactionTimeoutMs: 60000 }, a);
      if (init.errorCode === ErrorCode.NONE) break;
      if (attempt > 100) throw new Error(`seed: InitProducerId ${errorName(init.errorCode)}`);
      await this.request(10, 4, { keyType: 1, coordinatorKeys: [TX] }, a);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}
