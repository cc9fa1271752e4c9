/**
 * Replication over TLS in cluster mode (issue 20): two broker processes (dist/, build first) with a
 * PLAINTEXT listener for the test's clients and an SSL listener named by inter.broker.listener.name,
 * ssl.client.auth=required, so the followers' fetches and the brokers' other connections to each
 * other must present the broker certificate and verify the other's. With min.insync.replicas=2
 * an acks=all produce only succeeds when the follower fetched over SSL; the follower's log then
 * holds the records, and the SSL listeners show the inter-broker connections.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { etcdMissing, freePort, startEtcd, uniquePrefix, type EtcdCluster } from '../cluster/etcd-harness.js';
import { waitUntil } from '../helpers/cluster-target.js';

let etcd: EtcdCluster;
let certs: CertSet;
const brokers: ChildBroker[] = [];
const dirs: string[] = [];
const plainPorts: number[] = [];
const adminPorts: number[] = [];

describe.skipIf(etcdMissing !== null)('replication over an SSL inter-broker listener', () => {
  beforeAll(async () => {
    certs = makeCerts('certs-cluster');
    etcd = await startEtcd();
    const prefix = uniquePrefix('tls');
    const specs = [];
    for (const id of [1, 2]) specs.push({ id, plain: await freePort(), ssl: await freePort(), admin: await freePort(), dir: tempDir(`tls-cluster-b${id}`) });
    const started = await Promise.all(
      specs.map((s) =>
        spawnBroker(s.dir, {
          'node.id': s.id,
          'runnel.etcd.endpoints': etcd.endpoints.join(','),
          'runnel.etcd.prefix': prefix,
          'broker.session.timeout.ms': 3000,
          'broker.heartbeat.interval.ms': 500,
          'runnel.schema.registry.listener': 'none',
          'runnel.admin.listener': `127.0.0.1:${s.admin}`,
          'runnel.shutdown.timeout.ms': 5000,
          listeners: `PLAINTEXT://127.0.0.1:${s.plain},SSL://127.0.0.1:${s.ssl}`,
          'inter.broker.listener.name': 'SSL',
          'ssl.keystore.type': 'PEM',
          'ssl.keystore.location': certs.brokerPem,
          'ssl.truststore.type': 'PEM',
          'ssl.truststore.location': certs.caCert,
          'ssl.client.auth': 'required',
          'min.insync.replicas': 2,
          'default.replication.factor': 2,
          'offsets.topic.replication.factor': 2,
        }),
      ),
    );
    brokers.push(...started);
    for (const s of specs) {
      dirs.push(s.dir);
      plainPorts.push(s.plain);
      adminPorts.push(s.admin);
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.kill('SIGKILL')));
    await etcd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('an acks=all produce with min.insync.replicas=2 succeeds (the follower fetched over SSL) and the SSL listeners carry the inter-broker connections', async () => {
    const kafka = new Kafka({ brokers: plainPorts.map((p) => `127.0.0.1:${p}`), clientId: 'tls-cluster', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    const admin = kafka.admin();
    await admin.connect();
    await waitUntil('both brokers registered', async () => ((await admin.describeCluster()).brokers.length === 2 ? true : undefined), 30_000);
    await admin.createTopics({ topics: [{ topic: 'tls-replicated', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'tls-replicated', acks: -1, messages: Array.from({ length: 20 }, (_, j) => ({ key: `k${j % 4}`, value: `v${i}-${j}` })) });
    }
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('tls-replicated');
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(100);
    await admin.disconnect();
    // The inter-broker fetches run on the SSL listeners (the test's clients use PLAINTEXT only).
    const sslConnections = await Promise.all(
      adminPorts.map(async (port) => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m = /kafka_server_socketservermetrics_connection_count\{listener="SSL"\} (\d+)/.exec(text);
        return Number(m?.[1] ?? 0);
      }),
    );
    expect(sslConnections[0]! + sslConnections[1]!).toBeGreaterThan(0);
    for (const b of brokers) expect(b.logs.filter((l) => l.includes('TLS handshake failed'))).toEqual([]);
  }, 90_000);
});
