/**
 * SASL in cluster mode (two brokers, one etcd): SCRAM credentials created through one broker are
 * stored in etcd and authenticate on the other; the inter-broker listener is SASL_PLAINTEXT with
 * sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512, so follower fetches authenticate as
 * User:broker — a topic with min.insync.replicas=2 only takes acks=all writes while the follower
 * replicates over it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { type ChildBroker, removeDir, spawnBroker, tempDir } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { saslLogin, upsertScramUser } from '../helpers/sasl.js';
import { type EtcdCluster, etcdMissing, eventually, freePort, startEtcd, uniquePrefix } from '../cluster/etcd-harness.js';
import { clusterTestFlags } from '../cluster/cluster-harness.js';

const JAAS_PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const JAAS_SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";';

let etcd: EtcdCluster;
const brokers: ChildBroker[] = [];
const dirs: string[] = [];
const ports: Array<{ plain: number; sasl: number }> = [];

beforeAll(async () => {
  if (etcdMissing) return;
  etcd = await startEtcd();
  const prefix = uniquePrefix('sasl');
  for (let i = 0; i < 2; i++) ports.push({ plain: await freePort(), sasl: await freePort() });
  const start = (id: number) => {
    const dir = tempDir(`sasl-cluster-${id}`);
    dirs.push(dir);
    const p = ports[id - 1]!;
    return spawnBroker(dir, {
      'node.id': id,
      'runnel.etcd.endpoints': etcd.endpoints.join(','),
      ...clusterTestFlags(prefix),
      listeners: `PLAINTEXT://127.0.0.1:${p.plain},SASL_PLAINTEXT://127.0.0.1:${p.sasl}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'inter.broker.listener.name': 'SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS_PLAIN,
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': JAAS_SCRAM,
    }, p.plain);
  };
  brokers.push(...(await Promise.all([start(1), start(2)])));
  // Both registered (Metadata through broker 1 lists both).
  await eventually(async () => {
    const c = await RawClient.connect('127.0.0.1', ports[0]!.plain);
    const md = await c.request(3, 12, { topics: null });
    c.close();
    return md?.brokers.length === 2 ? true : null;
  }, 20_000, 'both brokers registered');
}, 60_000);

afterAll(async () => {
  for (const b of brokers) await b.kill('SIGTERM');
  await etcd?.stop();
  for (const d of dirs) removeDir(d);
});

it.skipIf(etcdMissing !== null)('stores SCRAM credentials in etcd (every broker sees them) and replicates over SCRAM-authenticated inter-broker connections', async () => {
  // Credentials created through broker 1 ...
  const admin1 = await RawClient.connect('127.0.0.1', ports[0]!.plain);
  expect(await upsertScramUser(admin1, 'broker', 'broker-secret', 'SCRAM-SHA-512')).toMatchObject({ results: [{ user: 'broker', errorCode: 0 }] });
  expect(await upsertScramUser(admin1, 'app', 'app-secret', 'SCRAM-SHA-512')).toMatchObject({ results: [{ user: 'app', errorCode: 0 }] });
  admin1.close();
  // Until now User:broker had no credential: the liveness probes' logins at start were refused
  // (once each; they retry after a minute). From here on, none may be.
  const logsFrom = brokers.map((b) => b.logs.length);
  // ... are described by broker 2 and authenticate there.
  const admin2 = await RawClient.connect('127.0.0.1', ports[1]!.plain);
  expect((await admin2.request(50, 0, { users: null })).results.map((r: any) => r.user)).toEqual(['app', 'broker']);
  admin2.close();
  const c2 = await RawClient.connect('127.0.0.1', ports[1]!.sasl);
  expect(await saslLogin(c2, 'SCRAM-SHA-512', 'app', 'app-secret')).toMatchObject({ errorCode: 0 });
  c2.close();

  // Replication: RF 2, min.insync.replicas 2, acks=all through SASL.
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${ports[0]!.sasl}`],
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'app-secret' },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'replicated', numPartitions: 2, replicationFactor: 2, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await eventually(async () => {
    try {
      await producer.send({ topic: 'replicated', acks: -1, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] });
      return true;
    } catch {
      return null;
    }
  }, 20_000, 'acks=all with both replicas in sync');
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets('replicated');
  expect(offsets.map((o) => Number(o.high)).every((h) => h >= 1)).toBe(true);
  await admin.disconnect();
  // No broker refused another: the follower fetchers authenticated.
  brokers.forEach((b, i) => expect(b.logs.slice(logsFrom[i]).filter((l) => l.includes('"authentication failed"') && l.includes('"user":"broker"'))).toEqual([]));
}, 60_000);
