/**
 * Replication over TLS in cluster mode (issue 20): two broker processes (dist/, build first) with a
 * PLAINTEXT listener for the test's clients and an SSL listener named by inter.broker.listener.name,
 * ssl.client.auth=required, so the followers' fetches and the brokers' other connections to each
 * other must present the broker certificate and verify the other's. With min.insync.replicas=2
 * an acks=all produce only succeeds when the follower fetched over SSL; the follower's log then
 * holds the records, and the SSL listeners show the inter-broker connections.
 */
import { readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
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
const registryPorts: number[] = [];

describe.skipIf(etcdMissing !== null)('replication over an SSL inter-broker listener', () => {
  beforeAll(async () => {
    certs = makeCerts('certs-cluster');
    etcd = await startEtcd();
    const prefix = uniquePrefix('tls');
    const specs = [];
    for (const id of [1, 2]) specs.push({ id, plain: await freePort(), ssl: await freePort(), admin: await freePort(), registry: await freePort(), dir: tempDir(`tls-cluster-b${id}`) });
    const started = await Promise.all(
      specs.map((s) =>
        spawnBroker(s.dir, {
          'node.id': s.id,
          'runnel.etcd.endpoints': etcd.endpoints.join(','),
          'runnel.etcd.prefix': prefix,
          'broker.session.timeout.ms': 3000,
          'broker.heartbeat.interval.ms': 500,
          'runnel.schema.registry.listener': `127.0.0.1:${s.registry}`,
          'runnel.schema.registry.ssl.enabled': true,
          'runnel.http.basic.auth.users': 'ci:ci-secret:read-write',
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
          // Short, so that a silent inter-broker socket (the liveness probe if it spoke plain TCP) would be cut during the test.
          'runnel.ssl.handshake.timeout.ms': 1500,
          'logger.level': 'debug',
        }),
      ),
    );
    brokers.push(...started);
    for (const s of specs) {
      dirs.push(s.dir);
      plainPorts.push(s.plain);
      adminPorts.push(s.admin);
      registryPorts.push(s.registry);
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
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Basic ${Buffer.from('ci:ci-secret').toString('base64')}` } })).text();
        const m = /kafka_server_socketservermetrics_connection_count\{listener="SSL"\} (\d+)/.exec(text);
        return Number(m?.[1] ?? 0);
      }),
    );
    expect(sslConnections[0]! + sslConnections[1]!).toBeGreaterThan(0);
    for (const b of brokers) expect(b.logs.filter((l) => l.includes('TLS handshake failed'))).toEqual([]);
  }, 90_000);

  it('the liveness probes hold TLS connections to the SSL inter-broker listener (none is cut at the handshake timeout)', async () => {
    await new Promise((r) => setTimeout(r, 3500));
    for (const b of brokers) {
      expect(b.logs.filter((l) => l.includes('"component":"liveness-probe"') && l.includes('"level":40'))).toEqual([]);
      expect(b.logs.filter((l) => l.includes('TLS connection closed before its handshake'))).toEqual([]);
    }
    console.log(`broker log lines at debug: ${brokers.map((b) => b.logs.length).join(', ')}`);
  }, 30_000);

  it('schema registry writes reach the leader of _schemas over HTTPS with the client\'s credentials, from either broker', async () => {
    const postOnce = (port: number, subject: string): Promise<{ status: number; body: any }> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: `/subjects/${subject}/versions`, method: 'POST', ca: readFileSync(certs.caCert), headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Basic ${Buffer.from('ci:ci-secret').toString('base64')}` } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ schema: JSON.stringify({ type: 'record', name: subject.replace(/-/g, '_'), fields: [{ name: 'a', type: 'string' }] }) }));
      });
    // While _schemas' leadership settles after its creation a write may get 50003/50004 (retry, as documented).
    const post = async (port: number, subject: string): Promise<{ status: number; body: any }> => {
      for (let i = 0; ; i++) {
        const r = await postOnce(port, subject);
        if (r.status !== 500 || i >= 40) return r;
        await new Promise((res) => setTimeout(res, 250));
      }
    };
    // The first write creates _schemas; then a write to the broker that does not lead it is forwarded.
    const first = await post(registryPorts[0]!, 'first-value');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const admin = new Kafka({ brokers: plainPorts.map((p) => `127.0.0.1:${p}`), clientId: 'tls-cluster-registry', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const leader = await waitUntil('a leader for _schemas', async () => {
      const l = (await admin.fetchTopicMetadata({ topics: ['_schemas'] })).topics[0]?.partitions[0]?.leader;
      return l !== undefined && l > 0 ? l : undefined;
    });
    await admin.disconnect();
    const follower = leader === 1 ? 2 : 1;
    const forwarded = await post(registryPorts[follower - 1]!, 'forwarded-value');
    expect(forwarded.status, JSON.stringify(forwarded.body)).toBe(200);
    const local = await post(registryPorts[leader - 1]!, 'local-value');
    expect(local.status, JSON.stringify(local.body)).toBe(200);
    expect(new Set([first.body.id, forwarded.body.id, local.body.id]).size).toBe(3);
  }, 60_000);
});
