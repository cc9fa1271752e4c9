/**
 * SASL on a SASL_PLAINTEXT listener, over raw sockets: the handshake and authenticate exchange
 * (PLAIN, SCRAM-SHA-256/512, the bare-token flow after SaslHandshake v0), what is refused before
 * authentication, the bounds (frame size, time to authenticate), failures (same message for a
 * wrong password and an unknown user, connection closed, audit log line without secrets),
 * Describe/AlterUserScramCredentials with Kafka's errors, credentials surviving a restart, and
 * re-authentication (connections.max.reauth.ms).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, tempDir, removeDir } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { MECH_CODE, plainToken, saltedPassword, saslLogin, ScramClient, upsertScramUser } from '../helpers/sasl.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

export function saslConfig(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
    ...extra,
  };
}

/** Log lines the broker wrote, parsed. */
class LogCapture extends Writable {
  lines: any[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l));
    cb();
  }
}

async function startSaslBroker(extra: Record<string, string | number> = {}, dataDir?: string, logs?: LogCapture) {
  const broker = await startTestBroker({
    host: undefined,
    port: undefined,
    dataDir,
    keepData: dataDir !== undefined,
    config: saslConfig(extra),
    ...(logs ? { logger: pino({ level: 'info' }, logs) } : {}),
  });
  const sasl = broker.broker.advertised.find((a) => a.name === 'SASL_PLAINTEXT')!;
  const plain = broker.broker.advertised.find((a) => a.name === 'PLAINTEXT')!;
  return { broker, sasl, plain };
}

let t: Awaited<ReturnType<typeof startSaslBroker>>;
const logs = new LogCapture();
const saslClient = () => RawClient.connect(t.sasl.host, t.sasl.port);

beforeAll(async () => {
  t = await startSaslBroker({ 'runnel.sasl.authentication.timeout.ms': 1500, 'sasl.server.max.receive.size': 4096 }, undefined, logs);
  const admin = await RawClient.connect(t.plain.host, t.plain.port);
  expect(await upsertScramUser(admin, 'bob', 'bob-secret', 'SCRAM-SHA-256')).toMatchObject({ results: [{ user: 'bob', errorCode: 0 }] });
  expect(await upsertScramUser(admin, 'bob', 'bob-secret-512', 'SCRAM-SHA-512')).toMatchObject({ results: [{ user: 'bob', errorCode: 0 }] });
  admin.close();
});
afterAll(async () => {
  await t?.broker.cleanup();
});

describe('before authentication', () => {
  it('serves ApiVersions, and closes the connection on any other request', async () => {
    const c = await saslClient();
    const versions = await c.request(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    expect(versions.apiKeys.map((k: any) => k.apiKey)).toEqual(expect.arrayContaining([17, 36, 50, 51]));
    expect(await c.request(3, 12, { topics: null })).toBeNull();
    await c.waitClosed();
  });

  it('closes on a frame above sasl.server.max.receive.size before any allocation', async () => {
    const c = await saslClient();
    const head = Buffer.alloc(8);
    head.writeInt32BE(5000, 0); // above 4096, and never sent whole
    c.write(head);
    await c.waitClosed();
  });

  it('closes a connection that does not authenticate within runnel.sasl.authentication.timeout.ms', async () => {
    const c = await saslClient();
    expect(await c.request(17, 1, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: 0 });
    await c.waitClosed(4000);
  });

  it('answers an unsupported mechanism UNSUPPORTED_SASL_MECHANISM with the enabled list, then closes', async () => {
    const c = await saslClient();
    expect(await c.request(17, 1, { mechanism: 'GSSAPI' })).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-512', 'SCRAM-SHA-256'] }); // Kafka's (HashMap) order
    await c.waitClosed();
  });
});

describe('PLAIN', () => {
  it('authenticates a JAAS user_<name> entry; requests are then served', async () => {
    const c = await saslClient();
    expect(await saslLogin(c, 'PLAIN', 'alice', 'alice-secret', 1)).toEqual({ errorCode: 0, errorMessage: '', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
    const md = await c.request(3, 12, { topics: null });
    expect(md.brokers).toEqual([{ nodeId: 1, host: t.sasl.host, port: t.sasl.port, rack: null }]);
    expect(await c.request(36, 2, { authBytes: plainToken('alice', 'alice-secret') })).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE });
    c.close();
  });

  it('fails a wrong password and an unknown user with the same message, closes, and audits without secrets', async () => {
    const answers = [];
    for (const [user, pw] of [['alice', 'wrong-password'], ['mallory', 'alice-secret']]) {
      const c = await saslClient();
      const res = await saslLogin(c, 'PLAIN', user!, pw!);
      answers.push(res);
      await c.waitClosed();
    }
    expect(answers[0]).toEqual({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 });
    expect(answers[1]).toEqual(answers[0]);
    const audit = logs.lines.filter((l) => l.event === 'authentication failed' && l.mechanism === 'PLAIN');
    expect(audit.map((l) => l.user)).toEqual(expect.arrayContaining(['alice', 'mallory']));
    const text = JSON.stringify(logs.lines);
    expect(text).not.toContain('wrong-password');
    expect(text).not.toContain('alice-secret');
  });

  it('serves the bare-token flow after SaslHandshake v0 (old clients)', async () => {
    const c = await saslClient();
    expect(await c.request(17, 0, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: 0 });
    const token = plainToken('admin', 'admin-secret');
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length, 0);
    token.copy(frame, 4);
    c.write(frame);
    expect(await c.readFrame()).toEqual(Buffer.alloc(0));
    expect((await c.request(3, 1, { topics: null })).brokers).toHaveLength(1);
    c.close();

    const bad = await saslClient();
    await bad.request(17, 0, { mechanism: 'PLAIN' });
    const wrong = plainToken('admin', 'nope');
    const f2 = Buffer.alloc(4 + wrong.length);
    f2.writeInt32BE(wrong.length, 0);
    wrong.copy(f2, 4);
    bad.write(f2);
    expect(await bad.readFrame()).toBeNull();
  });
});

describe('SCRAM', () => {
  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const)('%s authenticates with stored credentials and proves the server knows them', async (mech) => {
    const c = await saslClient();
    const res = await saslLogin(c, mech, 'bob', mech === 'SCRAM-SHA-256' ? 'bob-secret' : 'bob-secret-512');
    expect(res).toMatchObject({ errorCode: 0 });
    expect((await c.request(3, 12, { topics: null })).brokers).toHaveLength(1);
    c.close();
  });

  it('fails a wrong password and an unknown user alike, at the last step, with Kafka\'s message', async () => {
    const results = [];
    for (const user of ['bob', 'nobody']) {
      const c = await saslClient();
      results.push(await saslLogin(c, 'SCRAM-SHA-256', user, 'guess'));
      await c.waitClosed();
    }
    const msg = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256';
    expect(results).toEqual([
      { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: msg, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 },
      { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: msg, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 },
    ]);
  });

  it('refuses a client-final message whose nonce is not the combined nonce (CVE-2024-56128)', async () => {
    const c = await saslClient();
    await c.request(17, 1, { mechanism: 'SCRAM-SHA-256' });
    const scram = new ScramClient('SCRAM-SHA-256', 'bob', 'bob-secret');
    const first = await c.request(36, 2, { authBytes: scram.first() });
    const res = await c.request(36, 2, { authBytes: scram.final(first.authBytes, { nonce: scram.nonce }) });
    expect(res.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    await c.waitClosed();
  });

  it('serves SCRAM over bare tokens after SaslHandshake v0', async () => {
    const c = await saslClient();
    await c.request(17, 0, { mechanism: 'SCRAM-SHA-512' });
    const scram = new ScramClient('SCRAM-SHA-512', 'bob', 'bob-secret-512');
    const send = (b: Buffer) => {
      const f = Buffer.alloc(4 + b.length);
      f.writeInt32BE(b.length, 0);
      b.copy(f, 4);
      c.write(f);
    };
    send(scram.first());
    const serverFirst = (await c.readFrame())!;
    send(scram.final(serverFirst));
    expect(scram.verifyServerFinal((await c.readFrame())!)).toBe(true);
    expect((await c.request(3, 1, { topics: null })).brokers).toHaveLength(1);
    c.close();
  });
});

it('counts authentications by listener with Kafka\'s socket-server metric names', () => {
  const text = t.broker.broker.metrics.render().toString();
  const count = (name: string) => Number(new RegExp(`^${name}\\{listener="SASL_PLAINTEXT"\\} (\\d+)`, 'm').exec(text)?.[1] ?? -1);
  expect(count('kafka_server_socketservermetrics_successful_authentication_total')).toBeGreaterThan(0);
  expect(count('kafka_server_socketservermetrics_failed_authentication_total')).toBeGreaterThan(0);
});

describe('Describe/AlterUserScramCredentials', () => {
  it('describes stored mechanisms and iterations, never the credentials', async () => {
    const c = await RawClient.connect(t.plain.host, t.plain.port);
    const all = await c.request(50, 0, { users: null });
    expect(all.results).toEqual([{ user: 'bob', errorCode: 0, errorMessage: '', credentialInfos: [{ mechanism: 1, iterations: 4096 }, { mechanism: 2, iterations: 4096 }] }]);
    c.close();
  });

  it('validates alterations with Kafka\'s errors, per user, all or nothing for a user', async () => {
    const c = await RawClient.connect(t.plain.host, t.plain.port);
    const salt = Buffer.from('salt');
    const up = (name: string, mechanism: number, iterations = 4096) => ({ name, mechanism, iterations, salt, saltedPassword: saltedPassword('SCRAM-SHA-256', 'x', salt, 4096) });
    const res = await c.request(51, 0, {
      deletions: [{ name: 'ghost', mechanism: 1 }, { name: 'carol', mechanism: 2 }],
      upsertions: [up('', 1), up('dave', 3), up('erin', 1, 100), up('frank', 1, 20000), up('carol', 1), up('gina', 1), up('gina', 1)],
    });
    // In Kafka's (HashMap) order of the users.
    expect(res.results).toEqual([
      { user: '', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' },
      { user: 'frank', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' },
      { user: 'carol', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' },
      { user: 'dave', errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' },
      { user: 'ghost', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' },
      { user: 'gina', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' },
      { user: 'erin', errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' },
    ]);
    // carol's upsert was not applied (her deletion failed), nor anyone else's.
    expect((await c.request(50, 0, { users: null })).results.map((r: any) => r.user)).toEqual(['bob']);
    c.close();
  });

  it('deletes a credential; the user can no longer authenticate with it', async () => {
    const admin = await RawClient.connect(t.plain.host, t.plain.port);
    await upsertScramUser(admin, 'temp', 'temp-secret', 'SCRAM-SHA-256');
    const ok = await saslClient();
    expect(await saslLogin(ok, 'SCRAM-SHA-256', 'temp', 'temp-secret')).toMatchObject({ errorCode: 0 });
    ok.close();
    expect(await admin.request(51, 0, { deletions: [{ name: 'temp', mechanism: MECH_CODE['SCRAM-SHA-256'] }], upsertions: [] })).toMatchObject({ results: [{ user: 'temp', errorCode: 0 }] });
    const no = await saslClient();
    expect(await saslLogin(no, 'SCRAM-SHA-256', 'temp', 'temp-secret')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    admin.close();
  });
});

it('keeps SCRAM credentials across a restart (data dir)', async () => {
  const dir = tempDir('sasl-restart');
  try {
    const first = await startSaslBroker({}, dir);
    const admin = await RawClient.connect(first.plain.host, first.plain.port);
    await upsertScramUser(admin, 'persisted', 'p-secret', 'SCRAM-SHA-512');
    admin.close();
    await first.broker.cleanup();
    const second = await startSaslBroker({}, dir);
    const c = await RawClient.connect(second.sasl.host, second.sasl.port);
    expect(await saslLogin(c, 'SCRAM-SHA-512', 'persisted', 'p-secret')).toMatchObject({ errorCode: 0 });
    c.close();
    await second.broker.cleanup();
  } finally {
    removeDir(dir);
  }
});

describe('re-authentication (connections.max.reauth.ms)', () => {
  let r: Awaited<ReturnType<typeof startSaslBroker>>;
  beforeAll(async () => {
    r = await startSaslBroker({ 'connections.max.reauth.ms': 1000 });
  });
  afterAll(async () => {
    await r?.broker.cleanup();
  });

  it('tells the session lifetime, closes a connection that keeps using an expired session', async () => {
    const c = await RawClient.connect(r.sasl.host, r.sasl.port);
    const res = await saslLogin(c, 'PLAIN', 'alice', 'alice-secret', 1);
    expect(res.errorCode).toBe(0);
    expect(Number(res.sessionLifetimeMs)).toBeGreaterThan(900);
    expect(Number(res.sessionLifetimeMs)).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await c.request(3, 12, { topics: null })).toBeNull();
  });

  it('re-authenticates on the same connection with the same principal, and refuses another one', async () => {
    const c = await RawClient.connect(r.sasl.host, r.sasl.port);
    expect((await saslLogin(c, 'PLAIN', 'alice', 'alice-secret', 1)).errorCode).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await saslLogin(c, 'PLAIN', 'alice', 'alice-secret', 1)).errorCode).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the first session's end
    expect((await c.request(3, 12, { topics: null })).brokers).toHaveLength(1);
    const other = await saslLogin(c, 'PLAIN', 'admin', 'admin-secret', 1);
    expect(other).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Cannot change principals during re-authentication from User:alice: User:admin' });
    await c.waitClosed();
  });
});

describe('SASL principals under the StandardAuthorizer', () => {
  it('a SASL user is the ACL principal: denied without an ACL, served with one; super.users applies', async () => {
    const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = await import('kafkajs');
    const a = await startSaslBroker({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:admin' });
    try {
      const as = (username: string, password: string) =>
        new Kafka({ brokers: [`${a.sasl.host}:${a.sasl.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'plain', username, password } });
      const admin = as('admin', 'admin-secret').admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'acl-t', numPartitions: 1 }] });
      const alice = as('alice', 'alice-secret').producer();
      await alice.connect();
      const denied = await alice.send({ topic: 'acl-t', messages: [{ value: 'x' }] }).then(() => null, (e: { type?: string; name?: string; message?: string; cause?: { type?: string } }) => e.type ?? e.cause?.type ?? `${e.name}: ${e.message}`);
      expect(denied).toBe('TOPIC_AUTHORIZATION_FAILED');
      await admin.createAcls({
        acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'acl-t', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW }],
      });
      await alice.send({ topic: 'acl-t', messages: [{ value: 'y' }] });
      await alice.disconnect();
      await admin.disconnect();
    } finally {
      await a.broker.cleanup();
    }
  });
});
