/**
 * SSL listeners (issue 20, TLS): a broker with a PLAINTEXT and an SSL listener, its key store a
 * PEM file (key + chain), a PEM trust store and ssl.client.auth=required (mTLS), certificates made
 * by openssl in the test. Real clients — kafkajs, kcat (librdkafka 2.0), confluent-kafka-python,
 * kafka-python, the Java clients — produce, consume in a group and commit over it. The failures
 * a client can cause fail fast while the broker stays healthy: a plaintext client on the TLS port,
 * a TLS client on the plaintext port, no / expired / untrusted client certificates, a client that
 * connects and never handshakes. A second broker takes its key inline (ssl.keystore.key) or from
 * PKCS12 stores with ssl.client.auth=requested.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { REPO_ROOT, tempDir } from '../helpers/broker.js';
import { KEY_PASSWORD, makeCerts, PKCS12_PASSWORD, type CertSet } from '../helpers/certs.js';
import { run } from '../helpers/clients.js';
import { VENV_PYTHON, pythonModuleMissing } from '../compat/clients/scenario.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { newProduceRequest, newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/index.js';
import { ensureJavaBuilt, javaAvailable, runJava, runKafkaTool } from '../helpers/java.js';

let certs: CertSet;
let broker: RunningBroker;
let dataDir: string;
let plain: string;
let ssl: string;

const listenerAt = (b: RunningBroker, name: string): string => {
  const a = b.broker.advertised.find((l) => l.name === name)!;
  return `${a.host}:${a.port}`;
};

async function start(config: Record<string, string | number>): Promise<{ broker: RunningBroker; dataDir: string }> {
  const dir = tempDir('tls');
  try {
    const b = await startBroker({
      dataDir: dir,
      logLevel: process.env.RUNNEL_TEST_LOG ?? 'silent',
      config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3, ...config },
    });
    return { broker: b, dataDir: dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

beforeAll(async () => {
  certs = makeCerts();
  ({ broker, dataDir } = await start({
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.brokerPem,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
    'ssl.client.auth': 'required',
    'runnel.ssl.handshake.timeout.ms': 1500,
  }));
  plain = listenerAt(broker, 'PLAINTEXT');
  ssl = listenerAt(broker, 'SSL');
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

function kafkajs(bootstrap: string, tls: KafkaConfig['ssl'], extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'tls-test', logLevel: logLevel.NOTHING, ssl: tls, connectionTimeout: 3000, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 100 }, ...extra });
}

const alice = (): KafkaConfig['ssl'] => ({ ca: [readFileSync(certs.caCert)], key: readFileSync(certs.client('alice').key), cert: readFileSync(certs.client('alice').cert) });

/** Produces `count` records to partition 0 with kafkajs over mTLS, consumes them in a group, commits; returns the committed offset. */
async function kafkajsRoundTrip(k: Kafka, topic: string, count: number): Promise<{ consumed: number; committed: string }> {
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })) });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `${topic}-g`, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${consumed} of ${count}`)), 30_000);
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        consumed++;
        if (consumed === count) {
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  const offsets = await admin.fetchOffsets({ groupId: `${topic}-g`, topics: [topic] });
  await admin.disconnect();
  return { consumed, committed: offsets[0]!.partitions[0]!.offset };
}

/** Whether the broker still serves: a plaintext metadata round trip. */
async function healthy(): Promise<void> {
  const admin = kafkajs(plain, undefined).admin();
  await admin.connect();
  await admin.listTopics();
  await admin.disconnect();
}

/** Connects, runs `act`, and resolves with how long until the server closed the socket. */
function msUntilClosed(socket: Socket, timeoutMs = 8000): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the broker did not close the connection')), timeoutMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

/** An ApiVersions v0 request frame, as a plaintext Kafka client sends it first. */
const API_VERSIONS_FRAME = Buffer.from([0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0, 1, 0, 4, 0x74, 0x65, 0x73, 0x74]);

describe('SSL listener, PEM key store file, ssl.client.auth=required', () => {
  it('kafkajs produces, consumes in a group and commits over mTLS', async () => {
    const r = await kafkajsRoundTrip(kafkajs(ssl, alice()), 'tls-kafkajs', 50);
    expect(r).toEqual({ consumed: 50, committed: '50' });
  }, 60_000);

  it('kafkajs runs a transaction over mTLS (InitProducerId, AddPartitions, EndTxn to the coordinators)', async () => {
    const k = kafkajs(ssl, alice());
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tls-txn', numPartitions: 1 }] });
    const producer = k.producer({ transactionalId: 'tls-txn-id', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'tls-txn', messages: [{ value: 'a' }, { value: 'b' }] });
    await txn.commit();
    await producer.disconnect();
    // Two records and the commit marker.
    expect((await admin.fetchTopicOffsets('tls-txn'))[0]!.high).toBe('3');
    await admin.disconnect();
  }, 60_000);

  it('kcat (librdkafka 2.0) produces and consumes in a group over mTLS', async () => {
    const c = certs.client('kcat');
    const tlsArgs = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caCert}`, '-X', `ssl.certificate.location=${c.cert}`, '-X', `ssl.key.location=${c.key}`];
    const produced = await run('kcat', ['-b', ssl, ...tlsArgs, '-P', '-t', 'tls-kcat', '-p', '0', '-X', 'topic.request.required.acks=all'], { input: Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n') + '\n', timeoutMs: 30_000 });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await run('kcat', ['-b', ssl, ...tlsArgs, '-G', 'tls-kcat-g', '-X', 'auto.offset.reset=earliest', '-c', '20', '-f', '%s\n', 'tls-kcat'], { timeoutMs: 40_000 });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    // kcat commits on close (auto commit): the group's offset is the end of the partition.
    const admin = kafkajs(ssl, alice()).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'tls-kcat-g', topics: ['tls-kcat'] });
    await admin.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('20');
  }, 90_000);

  const ck = pythonModuleMissing('confluent_kafka');
  it.skipIf(ck !== null)('confluent-kafka-python produces, consumes in a group and commits over mTLS', async () => {
    const c = certs.client('ck');
    const r = await python('confluent', 'tls-ck', { 'security.protocol': 'SSL', 'ssl.ca.location': certs.caCert, 'ssl.certificate.location': c.cert, 'ssl.key.location': c.key });
    expect(r).toEqual({ produced: 30, consumed: 30, committed: 30, error: null });
  }, 90_000);

  const kp = pythonModuleMissing('kafka');
  it.skipIf(kp !== null)('kafka-python produces, consumes in a group and commits over mTLS', async () => {
    const c = certs.client('kp');
    const r = await python('kafka-python', 'tls-kp', { security_protocol: 'SSL', ssl_cafile: certs.caCert, ssl_certfile: c.cert, ssl_keyfile: c.key });
    expect(r).toEqual({ produced: 30, consumed: 30, committed: 30, error: null });
  }, 90_000);

  it.skipIf(!javaAvailable())('the Java clients produce, consume in a group and commit over mTLS (PEM key and trust stores); kafka-topics --command-config lists', async () => {
    await ensureJavaBuilt();
    const c = certs.client('java');
    const props = ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caCert}`, 'ssl.keystore.type=PEM', `ssl.keystore.location=${c.pem}`].flatMap((p) => ['--prop', p]);
    const produced = await runJava('Produce', ['--bootstrap', ssl, '--topic', 'tls-java', '--count', '25', '--partition', '0', ...props], { timeoutMs: 90_000 });
    expect(produced.json?.acked, produced.stderr).toBe(25);
    const consumed = await runJava('Consume', ['--bootstrap', ssl, '--topic', 'tls-java', '--group', 'tls-java-g', '--from-beginning', '--max', '25', '--commit', '--timeout-ms', '40000', ...props], { timeoutMs: 90_000 });
    expect(consumed.json?.count, consumed.stderr).toBe(25);
    expect(consumed.json?.valueChecksum).toBe(produced.json.valueChecksum);
    const admin = kafkajs(ssl, alice()).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'tls-java-g', topics: ['tls-java'] });
    await admin.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('25');
    // Kafka's own CLI with a client properties file (--command-config), as operators run it.
    const propsFile = join(certs.dir, 'client-ssl.properties');
    writeFileSync(propsFile, ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caCert}`, 'ssl.keystore.type=PEM', `ssl.keystore.location=${c.pem}`].join('\n') + '\n');
    const listed = await runKafkaTool('TopicCommand', ['--bootstrap-server', ssl, '--command-config', propsFile, '--list'], { timeoutMs: 60_000 });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')).toContain('tls-java');
  }, 180_000);

  it('a plaintext client on the TLS port is closed at once (its ApiVersions is not a ClientHello); the broker stays healthy', async () => {
    const s = netConnect({ host: '127.0.0.1', port: Number(ssl.split(':')[1]) });
    s.on('connect', () => s.write(API_VERSIONS_FRAME));
    expect(await msUntilClosed(s)).toBeLessThan(2000);
    // A real client fails too, quickly, with its usual connection error.
    const t0 = Date.now();
    await expect(kafkajs(ssl, undefined, { retry: { retries: 0 } }).admin().connect()).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(5000);
    await healthy();
  }, 30_000);

  it('a TLS client on the plaintext port fails fast (its ClientHello is an oversized frame); the broker stays healthy', async () => {
    const t0 = Date.now();
    const err = await new Promise<Error>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: Number(plain.split(':')[1]), ca: readFileSync(certs.caCert) });
      s.on('error', resolve);
      s.on('secureConnect', () => resolve(new Error('handshake succeeded')));
    });
    expect(err.message).not.toBe('handshake succeeded');
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(kafkajs(plain, alice(), { retry: { retries: 0 } }).admin().connect()).rejects.toThrow();
    await healthy();
  }, 30_000);

  it('refuses a client without a certificate, with an expired one, and with one from an untrusted CA', async () => {
    const ca = readFileSync(certs.caCert);
    const attempts = {
      none: { ca },
      expired: { ca, key: readFileSync(certs.expiredClient.key), cert: readFileSync(certs.expiredClient.cert) },
      untrusted: { ca, key: readFileSync(certs.untrustedClient.key), cert: readFileSync(certs.untrustedClient.cert) },
    };
    for (const [name, tls] of Object.entries(attempts)) {
      const t0 = Date.now();
      await expect(kafkajs(ssl, tls, { retry: { retries: 0 } }).admin().connect(), name).rejects.toThrow();
      expect(Date.now() - t0, name).toBeLessThan(5000);
    }
    // And kcat with the expired certificate reports a transport failure instead of metadata.
    const r = await run('kcat', ['-b', ssl, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caCert}`, '-X', `ssl.certificate.location=${certs.expiredClient.cert}`, '-X', `ssl.key.location=${certs.expiredClient.key}`, '-L', '-m', '3'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    await healthy();
    // Kafka's SocketServer metrics count them, and good handshakes.
    const good = kafkajs(ssl, alice()).admin();
    await good.connect();
    await good.disconnect();
    const metrics = await (await fetch(`${broker.broker.adminHttp!.url}/metrics`)).text();
    const count = (name: string): number => Number(new RegExp(`kafka_server_socketservermetrics_${name}_total\\{listener="SSL"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('failed_authentication')).toBeGreaterThanOrEqual(4);
    expect(count('successful_authentication')).toBeGreaterThan(0);
  }, 60_000);

  it('answers the requests a TLS client sent before closing its side (half-open, as on plaintext)', async () => {
    const admin = kafkajs(plain, undefined).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tls-half-close', numPartitions: 1 }] });
    await admin.disconnect();
    // A Produce (answered after its append completes, not synchronously), then our FIN at once.
    const produce = RawClient.encodeRequest(0, 3, newProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: 'tls-half-close', partitionData: [newProduceRequestPartition({ index: 0, records: buildBatchSync([{ value: Buffer.from('last words') }]) })] })] }), 7);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = tlsConnect({ host: '127.0.0.1', port: Number(ssl.split(':')[1]), ca: readFileSync(certs.caCert), key: readFileSync(certs.client('alice').key), cert: readFileSync(certs.client('alice').cert) }, () => {
        s.end(produce);
      });
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('error', reject);
      s.on('close', () => resolve(Buffer.concat(chunks)));
    });
    expect(reply.length).toBeGreaterThan(8);
    expect(reply.readInt32BE(0)).toBe(reply.length - 4);
    expect(reply.readInt32BE(4)).toBe(7); // the Produce's correlation id
    const check = kafkajs(plain, undefined).admin();
    await check.connect();
    expect((await check.fetchTopicOffsets('tls-half-close'))[0]!.high).toBe('1');
    await check.disconnect();
  }, 15_000);

  it('closes a connection that never completes its handshake after runnel.ssl.handshake.timeout.ms', async () => {
    const s = netConnect({ host: '127.0.0.1', port: Number(ssl.split(':')[1]) });
    const ms = await msUntilClosed(s);
    expect(ms).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(5000);
  }, 15_000);

  it('failed and abandoned handshakes give their connection slot back (max.connections.per.ip)', async () => {
    const b = await start({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'max.connections.per.ip': 2, 'runnel.ssl.handshake.timeout.ms': 60_000 });
    try {
      const port = Number(listenerAt(b.broker, 'SSL').split(':')[1]);
      for (let i = 0; i < 6; i++) {
        // Plaintext bytes instead of a ClientHello; then a client that leaves mid-handshake.
        const s = netConnect({ host: '127.0.0.1', port });
        s.on('connect', () => s.write(API_VERSIONS_FRAME));
        await msUntilClosed(s);
        await new Promise<void>((resolve) => {
          const t = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert) });
          t.on('error', () => resolve());
          t.on('secureConnect', () => {
            t.destroy();
            resolve();
          });
        });
      }
      await new Promise((r) => setTimeout(r, 200));
      const admin = kafkajs(`127.0.0.1:${port}`, { ca: [readFileSync(certs.caCert)] }).admin();
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
    } finally {
      await b.broker.stop();
      rmSync(b.dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('the client only accepts the broker with the right CA (the broker\'s certificate names 127.0.0.1)', async () => {
    const err = await new Promise<Error | null>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: Number(ssl.split(':')[1]), ca: readFileSync(join(certs.dir, 'evil-ca.crt')) });
      s.on('error', resolve);
      s.on('secureConnect', () => {
        s.destroy();
        resolve(null);
      });
    });
    expect(err?.message).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });
});

describe('key stores: inline PEM, PKCS12; ssl.client.auth=requested', () => {
  it('serves with the key inline (ssl.keystore.key / ssl.keystore.certificate.chain) and inline trusted certificates', async () => {
    const b = await start({
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.key': readFileSync(certs.brokerKey, 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(certs.brokerCert, 'utf8'),
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.certificates': readFileSync(certs.caCert, 'utf8'),
      'ssl.client.auth': 'requested',
    });
    try {
      const at = listenerAt(b.broker, 'SSL');
      // requested: a client without a certificate is served (ANONYMOUS) ...
      const r = await kafkajsRoundTrip(kafkajs(at, { ca: [readFileSync(certs.caCert)] }), 'tls-inline', 10);
      expect(r).toEqual({ consumed: 10, committed: '10' });
      // ... one with a valid certificate too, one with an untrusted certificate is refused.
      const admin = kafkajs(at, alice()).admin();
      await admin.connect();
      await admin.disconnect();
      const bad = { ca: [readFileSync(certs.caCert)], key: readFileSync(certs.untrustedClient.key), cert: readFileSync(certs.untrustedClient.cert) };
      await expect(kafkajs(at, bad, { retry: { retries: 0 } }).admin().connect()).rejects.toThrow();
    } finally {
      await b.broker.stop();
      rmSync(b.dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('serves from a PEM key store whose key is encrypted (ssl.key.password), and refuses a wrong password', async () => {
    const b = await start({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerEncryptedPem, 'ssl.key.password': KEY_PASSWORD });
    try {
      const admin = kafkajs(listenerAt(b.broker, 'SSL'), { ca: [readFileSync(certs.caCert)] }).admin();
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
    } finally {
      await b.broker.stop();
      rmSync(b.dataDir, { recursive: true, force: true });
    }
    await expect(start({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerEncryptedPem, 'ssl.key.password': 'wrong' })).rejects.toThrow(/cannot be used/);
  }, 60_000);

  it('serves from a PKCS12 key store and a PKCS12 trust store (TLSv1.2 only, one cipher suite by its Kafka name)', async () => {
    const b = await start({
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': certs.brokerP12,
      'ssl.keystore.password': PKCS12_PASSWORD,
      'ssl.truststore.type': 'PKCS12',
      'ssl.truststore.location': certs.caP12,
      'ssl.truststore.password': PKCS12_PASSWORD,
      'ssl.client.auth': 'required',
      'ssl.enabled.protocols': 'TLSv1.2',
      'ssl.cipher.suites': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    });
    try {
      const at = listenerAt(b.broker, 'SSL');
      const negotiated = await new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: Number(at.split(':')[1]), ca: readFileSync(certs.caCert), key: readFileSync(certs.client('alice').key), cert: readFileSync(certs.client('alice').cert) });
        s.on('error', reject);
        s.on('secureConnect', () => {
          resolve(`${s.getProtocol()} ${s.getCipher().name}`);
          s.destroy();
        });
      });
      expect(negotiated).toBe('TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384');
      // A client offering only another suite, or only TLS 1.3, does not get in.
      for (const offer of [{ ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' as const }, { minVersion: 'TLSv1.3' as const }]) {
        await expect(
          new Promise((resolve, reject) => {
            const s = tlsConnect({ host: '127.0.0.1', port: Number(at.split(':')[1]), ca: readFileSync(certs.caCert), key: readFileSync(certs.client('alice').key), cert: readFileSync(certs.client('alice').cert), ...offer });
            s.on('error', reject);
            s.on('secureConnect', () => resolve(s.destroy()));
          }),
        ).rejects.toThrow();
      }
      const r = await kafkajsRoundTrip(kafkajs(at, alice()), 'tls-p12', 10);
      expect(r).toEqual({ consumed: 10, committed: '10' });
    } finally {
      await b.broker.stop();
      rmSync(b.dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('listener.name.<listener>.ssl.* overrides: one TLS listener requires client certificates, the other does not', async () => {
    const b = await start({
      listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.brokerPem,
      'listener.name.mtls.ssl.client.auth': 'required',
      'listener.name.mtls.ssl.truststore.type': 'PEM',
      'listener.name.mtls.ssl.truststore.location': certs.caCert,
    });
    try {
      const ca = { ca: [readFileSync(certs.caCert)] };
      const connects = async (listener: string, tls: KafkaConfig['ssl']): Promise<boolean> => {
        const admin = kafkajs(listenerAt(b.broker, listener), tls, { retry: { retries: 0 } }).admin();
        try {
          await admin.connect();
          await admin.listTopics();
          await admin.disconnect();
          return true;
        } catch {
          return false;
        }
      };
      expect(await connects('SSL', ca)).toBe(true);
      expect(await connects('MTLS', ca)).toBe(false);
      expect(await connects('MTLS', alice())).toBe(true);
    } finally {
      await b.broker.stop();
      rmSync(b.dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses to start with a JKS key store, a missing key store, or a wrong PKCS12 password, naming the key', async () => {
    await expect(start({ 'ssl.keystore.location': certs.brokerP12 })).rejects.toThrow(/ssl\.keystore\.type is JKS/);
    await expect(start({})).rejects.toThrow(/needs the broker's key and certificate/);
    await expect(start({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.brokerP12, 'ssl.keystore.password': 'wrong' })).rejects.toThrow(/cannot be used/);
    await expect(start({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.cipher.suites': 'TLS_NO_SUCH_WITH_SUITE' })).rejects.toThrow(/cannot be used.*no cipher match/);
  }, 30_000);
});

async function python(client: 'confluent' | 'kafka-python', topic: string, conf: Record<string, string>): Promise<unknown> {
  const script = join(REPO_ROOT, 'test', 'security', 'py', 'tls_client.py');
  const r = await run(VENV_PYTHON, [script, JSON.stringify({ client, bootstrap: ssl, topic, group: `${topic}-g`, count: 30, conf })], { timeoutMs: 80_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`tls_client.py printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
