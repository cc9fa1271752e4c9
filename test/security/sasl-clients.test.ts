/**
 * SASL_PLAINTEXT with real clients: kafkajs, confluent-kafka-python (librdkafka >= 2.6, from
 * test/.venv), kafka-python, the Java client and kcat (Debian librdkafka 2.0.2: PLAIN only, its
 * SCRAM reuses the client nonce). Each produces, consumes in a group and commits (a transaction
 * where the client has them); a wrong password and an unknown user fail fast with the client's
 * usual authentication error, and the broker stays healthy. SCRAM users are created with Kafka's
 * own `kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=…]'`, described and deleted
 * with it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcat, run } from '../helpers/clients.js';
import { runJava, runKafkaScript } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { upsertScramUser } from '../helpers/sasl.js';
import { transactionalRoundTrip } from '../helpers/kafkajs-round-trip.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
const PY = join(REPO_ROOT, 'test', 'security', 'py', 'sasl_clients.py');

let broker: TestBroker;
let sasl: string;
let plain: string;

beforeAll(async () => {
  broker = await startTestBroker({
    host: undefined,
    port: undefined,
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'offsets.topic.replication.factor': 1,
      'transaction.state.log.replication.factor': 1,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const at = (name: string) => broker.broker.advertised.find((a) => a.name === name)!;
  sasl = `${at('SASL_PLAINTEXT').host}:${at('SASL_PLAINTEXT').port}`;
  plain = `${at('PLAINTEXT').host}:${at('PLAINTEXT').port}`;
  const admin = await RawClient.connect(at('PLAINTEXT').host, at('PLAINTEXT').port);
  await upsertScramUser(admin, 'bob', 'bob-secret', 'SCRAM-SHA-256');
  await upsertScramUser(admin, 'bob', 'bob-secret', 'SCRAM-SHA-512');
  admin.close();
}, 60_000);

afterAll(async () => {
  await broker?.cleanup();
});

/** The broker still serves a fresh authenticated client. */
async function healthy(): Promise<void> {
  const k = new Kafka({ brokers: [sasl], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
  const admin = k.admin();
  await admin.connect();
  expect((await admin.describeCluster()).brokers).toHaveLength(1);
  await admin.disconnect();
}

describe('kafkajs', () => {
  const cases: Array<[string, SASLOptions]> = [
    ['PLAIN', { mechanism: 'plain', username: 'alice', password: 'alice-secret' }],
    ['SCRAM-SHA-256', { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' }],
    ['SCRAM-SHA-512', { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }],
  ];
  it.each(cases)('%s: transactional produce, group consume, commit', async (name, saslOpts) => {
    const topic = `kjs-${name}`;
    const k = new Kafka({ brokers: [sasl], clientId: 'sasl-test', logLevel: logLevel.NOTHING, sasl: saslOpts });
    const r = await transactionalRoundTrip(k, topic, `tx-${name}`, `g-${name}`);
    expect(r.read).toEqual(['v0', 'v1', 'v2']);
    expect(r.committed).toBe('3');
  });

  it.each([
    ['wrong password', { mechanism: 'scram-sha-512', username: 'bob', password: 'nope' }],
    ['unknown user', { mechanism: 'scram-sha-512', username: 'nobody', password: 'nope' }],
    ['wrong PLAIN password', { mechanism: 'plain', username: 'alice', password: 'nope' }],
  ] as Array<[string, SASLOptions]>)('%s fails fast with KafkaJSSASLAuthenticationError', async (_name, saslOpts) => {
    const k = new Kafka({ brokers: [sasl], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: saslOpts });
    const admin = k.admin();
    const t0 = Date.now();
    const err = await admin.connect().then(() => null, (e: Error) => e);
    expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(Date.now() - t0).toBeLessThan(5000);
    await healthy();
  });
});

async function py(args: Record<string, unknown>): Promise<any> {
  const r = await run(VENV_PYTHON, [PY, JSON.stringify(args)], { timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`sasl_clients.py exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('confluent-kafka-python (librdkafka >= 2.6)', () => {
  it.each([['SCRAM-SHA-512', 'bob', 'bob-secret']])('%s: transaction, group consume, commit', async (mechanism, user, password) => {
    const topic = `ck-${mechanism}`;
    const r = await py({ lib: 'confluent', bootstrap: sasl, mechanism, user, password, topic, group: `g-${topic}` });
    expect(r).toEqual({ produced: 5, consumed: ['v0', 'v1', 'v2', 'v3', 'v4'], committed: 5 });
  });

  it('a wrong SCRAM password fails fast with an authentication error', async () => {
    const r = await py({ lib: 'confluent', bootstrap: sasl, mechanism: 'SCRAM-SHA-256', user: 'bob', password: 'nope', topic: 'x', expect_fail: true });
    expect(r.failed).toBe(true);
    expect(r.error).toMatch(/Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
    expect(r.seconds).toBeLessThan(3);
    await healthy();
  });
});

describe('kafka-python', () => {
  it('SCRAM-SHA-256: produce, group consume, commit', async () => {
    const r = await py({ lib: 'kafka-python', bootstrap: sasl, mechanism: 'SCRAM-SHA-256', user: 'bob', password: 'bob-secret', topic: 'kp-scram', group: 'g-kp' });
    expect(r).toEqual({ produced: 5, consumed: ['v0', 'v1', 'v2', 'v3', 'v4'], committed: 5 });
  });

  it('an unknown PLAIN user fails fast', async () => {
    const r = await py({ lib: 'kafka-python', bootstrap: sasl, mechanism: 'PLAIN', user: 'nobody', password: 'x', topic: 'x', expect_fail: true });
    expect(r.failed).toBe(true);
    expect(r.error).toMatch(/Authentication failed: Invalid username or password/);
    expect(r.seconds).toBeLessThan(15); // kafka-python's own bootstrap pacing; the refusal is immediate
    await healthy();
  });
});

describe('Java client and kafka-configs.sh', () => {
  const scramProps = (user: string, password: string, mech = 'SCRAM-SHA-512') => [
    '--prop', 'security.protocol=SASL_PLAINTEXT',
    '--prop', `sasl.mechanism=${mech}`,
    '--prop', `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
  ];

  it('kafka-configs adds a SCRAM-SHA-512 user, the Java client runs a transaction and a group with it, kafka-configs describes and deletes it', async () => {
    const add = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', plain, '--alter', '--entity-type', 'users', '--entity-name', 'carol', '--add-config', 'SCRAM-SHA-512=[iterations=8192,password=carol-secret]']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain("Completed updating config for user carol.");
    const desc = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', plain, '--describe', '--entity-type', 'users', '--entity-name', 'carol']);
    expect(desc.stdout.trim()).toBe('SCRAM credential configs for user-principal \'carol\' are SCRAM-SHA-512=iterations=8192');

    const produced = await runJava('Produce', ['--bootstrap', sasl, '--topic', 'java-sasl', '--count', '5', '--transactional-id', 'java-tx', ...scramProps('carol', 'carol-secret')]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.json.acked).toBe(5);
    const consumed = await runJava('Consume', ['--bootstrap', sasl, '--topic', 'java-sasl', '--group', 'java-g', '--from-beginning', '--max', '5', '--commit', '--isolation', 'read_committed', ...scramProps('carol', 'carol-secret')]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.json.count).toBe(5);

    const wrong = await runJava('Produce', ['--bootstrap', sasl, '--topic', 'java-sasl', '--count', '1', '--prop', 'max.block.ms=10000', ...scramProps('carol', 'wrong')]);
    expect(wrong.json).toMatchObject({ acked: 0, errors: [{ class: 'SaslAuthenticationException', message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' }] });

    const del = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', plain, '--alter', '--entity-type', 'users', '--entity-name', 'carol', '--delete-config', 'SCRAM-SHA-512']);
    expect(del.code, del.stderr).toBe(0);
    const after = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', plain, '--describe', '--entity-type', 'users', '--entity-name', 'carol']);
    expect(after.stdout.trim()).toBe('');
  }, 120_000);
});

describe('kcat (librdkafka 2.0.2)', () => {
  const common = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanism=PLAIN'];
  it('PLAIN: produces and consumes', async () => {
    await kcat(['-b', sasl, ...common, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-P', '-t', 'kcat-sasl'], { input: 'one\ntwo\n' });
    const out = await kcat(['-b', sasl, ...common, '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-C', '-t', 'kcat-sasl', '-o', 'beginning', '-c', '2', '-e']);
    expect(out.trim().split('\n')).toEqual(['one', 'two']);
  });

  it('a wrong password fails fast', async () => {
    const t0 = Date.now();
    // kcat retries until its metadata timeout (-m 3); the refusal itself is logged at once.
    const r = await run('kcat', ['-b', sasl, ...common, '-X', 'sasl.username=alice', '-X', 'sasl.password=bad', '-L', '-m', '3']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SASL authentication error: Authentication failed: Invalid username or password/);
    expect(Date.now() - t0).toBeLessThan(6000);
    await healthy();
  });
});

describe('re-authentication with the Java client (KIP-368)', () => {
  it('a consumer running past several session lifetimes re-authenticates and is never cut off', async () => {
    const { Writable } = await import('node:stream');
    const { pino } = await import('pino');
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const b = await startTestBroker({
      host: undefined,
      port: undefined,
      logger: pino({ level: 'debug' }, sink),
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
        'connections.max.reauth.ms': 1000,
        'offsets.topic.replication.factor': 1,
        'group.initial.rebalance.delay.ms': 0,
      },
    });
    try {
      const bootstrap = b.bootstrap;
      const props = ['--prop', 'security.protocol=SASL_PLAINTEXT', '--prop', 'sasl.mechanism=PLAIN', '--prop', `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";`];
      const k = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic: 'reauth', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      await producer.disconnect();
      const consumed = await runJava('Consume', ['--bootstrap', bootstrap, '--topic', 'reauth', '--group', 'reauth-g', '--from-beginning', '--max', '1000', '--timeout-ms', '6000', ...props]);
      expect(consumed.json.count, consumed.stderr).toBe(3);
      const reauths = lines.filter((l) => l.event === 'authenticated' && l.reauthentication === true);
      expect(reauths.length).toBeGreaterThanOrEqual(2);
      expect(lines.filter((l) => typeof l.reason === 'string' && l.reason.includes('expired'))).toEqual([]);
      expect(lines.filter((l) => l.event === 'authentication failed')).toEqual([]);
    } finally {
      await b.cleanup();
    }
  }, 60_000);
});
