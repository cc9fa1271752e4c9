/**
 * SASL_SSL: SASL authentication over the TLS transport on one listener, with real clients and
 * certificates made by openssl (test/helpers/certs.ts). kafkajs, confluent-kafka-python (librdkafka
 * >= 2.6), kafka-python, the Java client and Debian's kcat (librdkafka 2.0.2: PLAIN only) produce,
 * consume in a group and commit over it, with PLAIN and SCRAM-SHA-512 (a transaction where the
 * client has them). A wrong password fails fast with the client's usual authentication error and
 * the broker stays healthy. Authentication is counted once per connection, by SASL (the TLS
 * handshake of a SASL_SSL connection is not an authentication of its own).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { kcat, run } from '../helpers/clients.js';
import { ensureJavaBuilt, javaAvailable, runJava } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { upsertScramUser } from '../helpers/sasl.js';
import { transactionalRoundTrip } from '../helpers/kafkajs-round-trip.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
const PY = join(REPO_ROOT, 'test', 'security', 'py', 'sasl_clients.py');

let certs: CertSet;
let broker: TestBroker;
let saslSsl: string;

beforeAll(async () => {
  certs = makeCerts('sasl-ssl');
  broker = await startTestBroker({
    host: undefined,
    port: undefined,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.brokerPem,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 3,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.num.partitions': 3,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const at = (name: string) => broker.broker.advertised.find((a) => a.name === name)!;
  saslSsl = `${at('SASL_SSL').host}:${at('SASL_SSL').port}`;
  const admin = await RawClient.connect(at('PLAINTEXT').host, at('PLAINTEXT').port);
  await upsertScramUser(admin, 'bob', 'bob-secret', 'SCRAM-SHA-512');
  admin.close();
}, 60_000);

afterAll(async () => {
  await broker?.cleanup();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

function kafkajs(saslOpts: SASLOptions, extra: Record<string, unknown> = {}): Kafka {
  return new Kafka({ brokers: [saslSsl], clientId: 'sasl-ssl-test', logLevel: logLevel.NOTHING, ssl: { ca: [readFileSync(certs.caCert)] }, sasl: saslOpts, ...extra });
}

/** The broker still serves a fresh client over SASL_SSL. */
async function healthy(): Promise<void> {
  const admin = kafkajs({ mechanism: 'plain', username: 'alice', password: 'alice-secret' }).admin();
  await admin.connect();
  expect((await admin.describeCluster()).brokers).toHaveLength(1);
  await admin.disconnect();
}

/** kafka_server_socketservermetrics_<what>_authentication_total{listener="SASL_SSL"}. */
function authCount(what: 'successful' | 'failed'): number {
  const m = new RegExp(`^kafka_server_socketservermetrics_${what}_authentication_total\\{listener="SASL_SSL"\\} (\\d+)$`, 'm').exec(broker.broker.metrics.render().toString());
  return m ? Number(m[1]) : 0;
}

describe('kafkajs', () => {
  it.each([
    ['PLAIN', { mechanism: 'plain', username: 'alice', password: 'alice-secret' }],
    ['SCRAM-SHA-512', { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }],
  ] as Array<[string, SASLOptions]>)('%s: transactional produce, group consume, commit', async (name, saslOpts) => {
    const topic = `ssl-kjs-${name}`;
    const k = kafkajs(saslOpts);
    const r = await transactionalRoundTrip(k, topic, `ssl-tx-${name}`, `g-${topic}`);
    expect(r.read).toEqual(['v0', 'v1', 'v2']);
    expect(r.committed).toBe('3');
  }, 30_000);

  it('a wrong SCRAM password fails fast with KafkaJSSASLAuthenticationError, counted once as a failed authentication; the broker stays healthy', async () => {
    const failedBefore = authCount('failed');
    const okBefore = authCount('successful');
    const admin = kafkajs({ mechanism: 'scram-sha-512', username: 'bob', password: 'nope' }, { retry: { retries: 0 } }).admin();
    const t0 = Date.now();
    const err = await admin.connect().then(() => null, (e: Error) => e);
    expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(authCount('failed')).toBe(failedBefore + 1);
    // The TLS handshake that carried it counted nothing: no success was recorded for it.
    expect(authCount('successful')).toBe(okBefore);
    await healthy();
    expect(authCount('successful')).toBeGreaterThan(okBefore);
  });
});

async function py(args: Record<string, unknown>): Promise<any> {
  const r = await run(VENV_PYTHON, [PY, JSON.stringify({ protocol: 'SASL_SSL', ca: certs.caCert, bootstrap: saslSsl, ...args })], { timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`sasl_clients.py exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('confluent-kafka-python (librdkafka >= 2.6)', () => {
  it('SCRAM-SHA-512: transaction, group consume, commit', async () => {
    const r = await py({ lib: 'confluent', mechanism: 'SCRAM-SHA-512', user: 'bob', password: 'bob-secret', topic: 'ssl-ck', group: 'g-ssl-ck' });
    expect(r).toEqual({ produced: 5, consumed: ['v0', 'v1', 'v2', 'v3', 'v4'], committed: 5 });
  }, 60_000);

  it('a wrong PLAIN password fails fast with an authentication error', async () => {
    const r = await py({ lib: 'confluent', mechanism: 'PLAIN', user: 'alice', password: 'nope', topic: 'x', expect_fail: true });
    expect(r.failed).toBe(true);
    expect(r.error).toMatch(/Authentication failed: Invalid username or password/);
    expect(r.seconds).toBeLessThan(3);
    await healthy();
  }, 30_000);
});

describe('kafka-python', () => {
  it('PLAIN: produce, group consume, commit', async () => {
    const r = await py({ lib: 'kafka-python', mechanism: 'PLAIN', user: 'alice', password: 'alice-secret', topic: 'ssl-kp', group: 'g-ssl-kp' });
    expect(r).toEqual({ produced: 5, consumed: ['v0', 'v1', 'v2', 'v3', 'v4'], committed: 5 });
  }, 60_000);
});

describe('Java client', () => {
  const props = (mechanism: string, jaas: string) =>
    ['security.protocol=SASL_SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caCert}`, `sasl.mechanism=${mechanism}`, `sasl.jaas.config=${jaas}`].flatMap((p) => ['--prop', p]);
  const scram = (password: string) => props('SCRAM-SHA-512', `org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="${password}";`);
  const plain = () => props('PLAIN', 'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";');

  it.skipIf(!javaAvailable())('SCRAM-SHA-512 transaction, PLAIN group consume and commit (read_committed); a wrong password is a SaslAuthenticationException', async () => {
    await ensureJavaBuilt();
    const produced = await runJava('Produce', ['--bootstrap', saslSsl, '--topic', 'ssl-java', '--count', '5', '--transactional-id', 'ssl-java-tx', ...scram('bob-secret')], { timeoutMs: 90_000 });
    expect(produced.json?.acked, produced.stderr).toBe(5);
    const consumed = await runJava('Consume', ['--bootstrap', saslSsl, '--topic', 'ssl-java', '--group', 'ssl-java-g', '--from-beginning', '--max', '5', '--commit', '--isolation', 'read_committed', ...plain()], { timeoutMs: 90_000 });
    expect(consumed.json?.count, consumed.stderr).toBe(5);
    const wrong = await runJava('Produce', ['--bootstrap', saslSsl, '--topic', 'ssl-java', '--count', '1', '--prop', 'max.block.ms=10000', ...scram('wrong')], { timeoutMs: 60_000 });
    expect(wrong.json).toMatchObject({ acked: 0, errors: [{ class: 'SaslAuthenticationException', message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' }] });
    await healthy();
  }, 120_000);
});

describe('kcat (librdkafka 2.0.2)', () => {
  const common = () => ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caCert}`, '-X', 'sasl.mechanism=PLAIN', '-X', 'sasl.username=alice'];

  it('PLAIN: produces and consumes', async () => {
    await kcat(['-b', saslSsl, ...common(), '-X', 'sasl.password=alice-secret', '-P', '-t', 'ssl-kcat'], { input: 'one\ntwo\n' });
    const out = await kcat(['-b', saslSsl, ...common(), '-X', 'sasl.password=alice-secret', '-C', '-t', 'ssl-kcat', '-o', 'beginning', '-c', '2', '-e']);
    expect(out.trim().split('\n')).toEqual(['one', 'two']);
  }, 30_000);

  it('a wrong password fails fast', async () => {
    const t0 = Date.now();
    const r = await run('kcat', ['-b', saslSsl, ...common(), '-X', 'sasl.password=bad', '-L', '-m', '3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SASL authentication error: Authentication failed: Invalid username or password/);
    expect(Date.now() - t0).toBeLessThan(6000);
    await healthy();
  }, 30_000);
});

describe('SASL_SSL with ssl.client.auth=required (mTLS under SASL)', () => {
  it('the principal is the SASL user, not the certificate\'s: User:alice\'s ACL lets a client with CN=carol\'s certificate write; no certificate fails the handshake', async () => {
    const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = await import('kafkajs');
    const b = await startTestBroker({
      host: undefined,
      port: undefined,
      config: {
        listeners: 'SASL_SSL://127.0.0.1:0',
        'listener.security.protocol.map': 'SASL_SSL:SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.brokerPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.caCert,
        'ssl.client.auth': 'required',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:admin',
      },
    });
    try {
      const carol = certs.client('carol');
      const as = (username: string, password: string, cert = true) =>
        new Kafka({
          brokers: [b.bootstrap],
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
          ssl: { ca: [readFileSync(certs.caCert)], ...(cert ? { key: readFileSync(carol.key), cert: readFileSync(carol.cert) } : {}) },
          sasl: { mechanism: 'plain', username, password },
        });
      const admin = as('admin', 'admin-secret').admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'mtls-sasl', numPartitions: 1 }] });
      await admin.createAcls({
        acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'mtls-sasl', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW }],
      });
      await admin.disconnect();
      const alice = as('alice', 'alice-secret').producer();
      await alice.connect();
      await alice.send({ topic: 'mtls-sasl', messages: [{ value: 'from alice with carol\'s certificate' }] });
      await alice.disconnect();
      const noCert = await as('alice', 'alice-secret', false).admin().connect().then(() => null, (e: Error) => e.name);
      expect(noCert).not.toBeNull();
    } finally {
      await b.cleanup();
    }
  }, 30_000);
});
