/**
 * SASL_SSL between brokers (issue 20 acceptance: "brokers authenticate to each other and replication
 * works over SASL_SSL"): two broker processes (dist/, build first) whose only listener is SASL_SSL,
 * also the inter-broker listener, with sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512 and ACLs
 * on (StandardAuthorizer, super.users=User:broker). The follower fetchers and the transaction-marker
 * clients open TLS (verifying the other broker's certificate against the trust store), then log in
 * with SCRAM as User:broker; an acks=all produce to a topic with min.insync.replicas=2 only succeeds
 * when the follower fetched that way, and a transaction's markers reach the other broker that way
 * (read_committed sees its records). The client principal User:app has only its own ACLs (WRITE
 * and READ on its topic, READ on its group) and produces acks=all and consumes in a group.
 *
 * The liveness probes log in as User:broker too and hold their connections: past several
 * runnel.sasl.authentication.timeout.ms (short here) no broker accepts a new connection, and
 * nobody's lease is revoked.
 *
 * Bootstrap: the SCRAM credentials live in etcd, so the first ones are made over SASL_SSL with PLAIN
 * as User:broker (a PlainLoginModule user on the same listener), which is a super user — on broker
 * 1 before broker 2 starts, so that no broker ever tries the credential before it exists (as Kafka's
 * are made with kafka-storage format --add-scram before the start).
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type SASLOptions } from 'kafkajs';
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { RawClient } from '../helpers/raw-client.js';
import { saslLogin, upsertScramUser } from '../helpers/sasl.js';
import { etcdMissing, eventually, freePort, startEtcd, uniquePrefix, type EtcdCluster } from '../cluster/etcd-harness.js';
import { clusterTestFlags } from '../cluster/cluster-harness.js';

const JAAS_PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="broker-secret";';
const JAAS_SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";';
const AUTH_TIMEOUT_MS = 1500;

let etcd: EtcdCluster;
let certs: CertSet;
const brokers: ChildBroker[] = [];
const dirs: string[] = [];
const ports: number[] = [];
const adminPorts: number[] = [];

describe.skipIf(etcdMissing !== null)('replication over a SASL_SSL inter-broker listener with ACLs', () => {
  beforeAll(async () => {
    certs = makeCerts('certs-sasl-ssl-cluster');
    etcd = await startEtcd();
    const prefix = uniquePrefix('saslssl');
    for (let i = 0; i < 2; i++) ports.push(await freePort());
    for (let i = 0; i < 2; i++) adminPorts.push(await freePort());
    const start = (id: number) => {
      const dir = tempDir(`sasl-ssl-cluster-${id}`);
      dirs.push(dir);
      return spawnBroker(dir, {
        'node.id': id,
        'runnel.etcd.endpoints': etcd.endpoints.join(','),
        ...clusterTestFlags(prefix),
        listeners: `SASL_SSL://127.0.0.1:${ports[id - 1]}`,
        'listener.security.protocol.map': 'SASL_SSL:SASL_SSL',
        'inter.broker.listener.name': 'SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS_PLAIN,
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': JAAS_SCRAM,
        'runnel.sasl.authentication.timeout.ms': AUTH_TIMEOUT_MS,
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.caCert,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:broker',
        'offsets.topic.replication.factor': 2,
        'offsets.topic.num.partitions': 2,
        'transaction.state.log.replication.factor': 2,
        'transaction.state.log.num.partitions': 2,
        'group.initial.rebalance.delay.ms': 0,
        'logger.level': 'debug',
        'runnel.admin.listener': `127.0.0.1:${adminPorts[id - 1]}`,
      });
    };
    brokers.push(await start(1));
    // The SCRAM users, made over SASL_SSL as the PLAIN super user: the broker's own and the client's.
    const c = await RawClient.connectTls('127.0.0.1', ports[0]!, { ca: readFileSync(certs.caCert), servername: 'localhost' });
    expect(await saslLogin(c, 'PLAIN', 'broker', 'broker-secret')).toMatchObject({ errorCode: 0 });
    expect(await upsertScramUser(c, 'broker', 'broker-secret', 'SCRAM-SHA-512')).toMatchObject({ results: [{ user: 'broker', errorCode: 0 }] });
    expect(await upsertScramUser(c, 'app', 'app-secret', 'SCRAM-SHA-512')).toMatchObject({ results: [{ user: 'app', errorCode: 0 }] });
    brokers.push(await start(2));
    await eventually(async () => ((await c.request(3, 12, { topics: null }))?.brokers.length === 2 ? true : null), 20_000, 'both brokers registered');
    c.close();
  }, 90_000);

  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.kill('SIGKILL')));
    await etcd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  const kafka = (sasl: SASLOptions) =>
    new Kafka({ brokers: ports.map((p) => `127.0.0.1:${p}`), clientId: 'sasl-ssl-cluster', logLevel: logLevel.NOTHING, ssl: { ca: [readFileSync(certs.caCert)] }, sasl, retry: { retries: 8, initialRetryTime: 200 } });

  it('User:app with only its ACLs produces acks=all (min.insync.replicas=2: the follower fetched over TLS + SCRAM as User:broker) and consumes in a group', async () => {
    const admin = kafka({ mechanism: 'scram-sha-512', username: 'broker', password: 'broker-secret' }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'app-t', numPartitions: 2, replicationFactor: 2, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({
      resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:app', host: '*', operation, permissionType: AclPermissionTypes.ALLOW,
    });
    await admin.createAcls({ acl: [allow(AclResourceTypes.TOPIC, 'app-t', AclOperationTypes.WRITE), allow(AclResourceTypes.TOPIC, 'app-t', AclOperationTypes.READ), allow(AclResourceTypes.GROUP, 'app-g', AclOperationTypes.READ)] });

    const app = kafka({ mechanism: 'scram-sha-512', username: 'app', password: 'app-secret' });
    // ACLs reach both brokers through etcd; the ISR fills once the followers fetched.
    const producer = app.producer();
    await producer.connect();
    await eventually(async () => {
      try {
        await producer.send({ topic: 'app-t', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
        return true;
      } catch {
        return null;
      }
    }, 30_000, 'acks=all with both replicas in sync');
    // Anything beyond its ACLs is denied: another topic.
    const denied = await producer.send({ topic: 'other-t', acks: -1, messages: [{ value: 'x' }] }).then(() => null, (e: { type?: string; name?: string; message?: string; cause?: { type?: string } }) => e.type ?? e.cause?.type ?? `${e.name}: ${e.message}`);
    expect(denied).toBe('TOPIC_AUTHORIZATION_FAILED');
    await producer.disconnect();

    const consumer = app.consumer({ groupId: 'app-g', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'app-t', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of 10`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === 10) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(got.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    // Both replicas hold the records: the leader's high watermark moved only once the follower had them.
    const offsets = await admin.fetchTopicOffsets('app-t');
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(10);
    await admin.disconnect();
    for (const b of brokers) {
      // No broker refused another's login, nor a TLS handshake.
      expect(b.logs.filter((l) => l.includes('"authentication failed"'))).toEqual([]);
      expect(b.logs.filter((l) => l.includes('TLS handshake failed'))).toEqual([]);
    }
  }, 90_000);

  it('a transaction over both partitions commits: its markers reach the other broker over TLS + SCRAM; read_committed sees the records', async () => {
    const k = kafka({ mechanism: 'scram-sha-512', username: 'broker', password: 'broker-secret' });
    // One partition led by each broker: whichever coordinates the transaction sends one marker to the other.
    const admin = k.admin();
    await admin.connect();
    const leaders = (await admin.fetchTopicMetadata({ topics: ['app-t'] })).topics[0]!.partitions.map((p) => p.leader);
    await admin.disconnect();
    expect(new Set(leaders).size).toBe(2);
    const producer = k.producer({ transactionalId: 'cluster-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'app-t', messages: [0, 1].flatMap((partition) => [0, 1, 2].map((i) => ({ partition, value: `tx-${partition}-${i}` }))) });
    await txn.commit();
    await producer.disconnect();
    const consumer = k.consumer({ groupId: 'tx-check', sessionTimeout: 10_000, heartbeatInterval: 500, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: 'app-t', fromBeginning: true });
    const got = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read_committed saw ${[...got].join(',')}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const v = message.value!.toString();
          if (v.startsWith('tx-')) got.add(v);
          if (got.size === 6) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    for (const b of brokers) expect(b.logs.filter((l) => l.includes('"authentication failed"'))).toEqual([]);
  }, 60_000);

  /** kafka_server_socketservermetrics_connection_creation_total{listener="SASL_SSL"} of broker `i`. */
  async function connectionsAccepted(i: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${adminPorts[i]}/metrics`)).text();
    const m = /^kafka_server_socketservermetrics_connection_creation_total\{listener="SASL_SSL"\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  }

  it('the liveness probes log in as User:broker and hold their connections: no new connection over several authentication timeouts, no lease revoked', async () => {
    // The probes connected (and logged in) once the brokers saw each other registered.
    await eventually(async () => (brokers.every((b) => b.logs.some((l) => l.includes('"event":"authenticated"') && l.includes('"user":"broker"'))) ? true : null), 10_000, 'probe logins');
    const before = await Promise.all([0, 1].map(connectionsAccepted));
    // Several authentication timeouts: a probe that did not log in would be closed and reconnect each time.
    await new Promise((r) => setTimeout(r, AUTH_TIMEOUT_MS * 3 + 500));
    const after = await Promise.all([0, 1].map(connectionsAccepted));
    expect(after).toEqual(before);
    for (const b of brokers) {
      expect(b.logs.filter((l) => l.includes('not authenticated within runnel.sasl.authentication.timeout.ms'))).toEqual([]);
      expect(b.logs.filter((l) => l.includes('"auth-audit"') && l.includes('"level":40'))).toEqual([]);
      expect(b.logs.filter((l) => l.includes('"component":"liveness-probe"') && l.includes('"level":40'))).toEqual([]);
      expect(b.logs.filter((l) => l.includes('lease') && l.includes('revok'))).toEqual([]);
    }
    const c = await RawClient.connectTls('127.0.0.1', ports[1]!, { ca: readFileSync(certs.caCert), servername: 'localhost' });
    expect(await saslLogin(c, 'SCRAM-SHA-512', 'broker', 'broker-secret')).toMatchObject({ errorCode: 0 });
    expect((await c.request(3, 12, { topics: null }))?.brokers).toHaveLength(2);
    c.close();
  }, 30_000);
});
