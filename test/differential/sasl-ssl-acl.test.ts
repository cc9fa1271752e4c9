/**
 * Differential, issue 20's "against Apache Kafka configured the same way (SASL_SSL SCRAM + ACLs)":
 * Apache Kafka 4.4 and Runnel started from the same server.properties lines — one SASL_SSL
 * listener (PEM key store made by openssl), PLAIN users in the JAAS entry and SCRAM-SHA-512 users
 * created with AlterUserScramCredentials, StandardAuthorizer with super.users — then the same
 * sequence on both, over SASL_SSL only:
 *   - logins: good, wrong password, unknown user, mechanism not enabled, a token of the wrong
 *     mechanism, a plaintext client on the TLS port (raw frames), and kafkajs's and librdkafka's
 *     view of them (librdkafka also: the topics it may describe, a refused and an allowed produce);
 *   - every row of the ACL matrix (test/security/acl-cases.ts) as User:alice logged in with
 *     SCRAM-SHA-512: the refused response compared field by field, and both serve it once granted;
 *   - authorized-operations fields, Metadata's topic filtering and DescribeAcls' output.
 * Answers are normalised only where they must differ (node ids, ports, cluster id, topic ids,
 * throttle times, nonces and salts; error messages outside SASL as set/unset); every other
 * difference fails unless test/differential/known-differences.ts lists it.
 *
 * The Java client's part is opt-in (RUNNEL_SASL_SSL_DIFF_JAVA=1, +35 s). The rest runs in CI: about 50-75 s on a loaded 2-core machine (Kafka's start ~15-25 s, the raw logins
 * ~9 s, librdkafka ~7 s, the 68 matrix rows ~11-25 s: each identity keeps one connection, and
 * Kafka's asynchronous ACL updates are awaited by polling DescribeAcls).
 */
import { existsSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { errorName } from '../../protocol/errors.js';
import { PatternType } from '../../src/security/acl-model.js';
import { apacheKafkaAvailable, startApacheKafka } from '../helpers/apache-kafka.js';
import { REPO_ROOT } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { ensureJavaBuilt, javaAvailable, runJava } from '../helpers/java.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { RawClient } from '../helpers/raw-client.js';
import { plainToken, ScramClient, upsertScramUser } from '../helpers/sasl.js';
import { AclEnv, G, MATRIX_BROKER_CONFIG, Op, T, clusterGrant, groupGrant, saslSslIdentity, topicGrant, TOPIC, type Endpoint } from '../security/acl-env.js';
import { CASES, runCase } from '../security/acl-cases.js';
import { notAuthError } from '../security/acl-case.js';
import { explain, msg, type Side } from './harness.js';

const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
const PY_CLIENT = join(REPO_ROOT, 'test', 'differential', 'py', 'sasl_ssl_client.py');

const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-plain";';

/**
 * The security lines both brokers start with. The listener keeps the reference script's name
 * PLAINTEXT, mapped to SASL_SSL, so the listener.name.* keys read the same on both. Kafka's broker
 * reaches its own controller on a PLAINTEXT controller listener as User:ANONYMOUS, which must keep
 * CLUSTER_ACTION once the cluster has ACLs: hence ANONYMOUS in super.users (Runnel has no
 * PLAINTEXT listener here, so no connection is ever ANONYMOUS on it).
 */
function securityConfig(certs: CertSet): Record<string, string | number | boolean> {
  return {
    ...MATRIX_BROKER_CONFIG,
    'super.users': 'User:admin;User:ANONYMOUS',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
    // Kafka wants a JAAS entry for every enabled mechanism (Runnel does not need one for SCRAM).
    'listener.name.plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.brokerPem,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
  };
}

let certs: CertSet;
let ca: Buffer;
const env: Partial<Record<Side, AclEnv>> = {};
const SIDES: Side[] = ['kafka', 'runnel'];

/** Creates a SCRAM-SHA-512 user as the admin and waits until it can log in (Kafka applies it asynchronously). */
async function addScramUser(e: AclEnv, user: string, password: string): Promise<void> {
  const c = await e.admin.connect(e.endpoint);
  try {
    const r = await upsertScramUser(c, user, password, 'SCRAM-SHA-512');
    if (r.results[0].errorCode !== 0) throw new Error(`scram upsert: ${errorName(r.results[0].errorCode)}`);
  } finally {
    c.close();
  }
  const who = saslSslIdentity(user, password, 'SCRAM-SHA-512', ca);
  for (let i = 0; ; i++) {
    try {
      (await who.connect(e.endpoint)).close();
      return;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

beforeAll(async () => {
  if (!apacheKafkaAvailable()) return;
  certs = makeCerts('sasl-ssl-diff');
  ca = readFileSync(certs.caCert);
  const alice = saslSslIdentity('alice', 'alice-scram', 'SCRAM-SHA-512', ca);
  const admin = saslSslIdentity('admin', 'admin-secret', 'PLAIN', ca);
  const config = securityConfig(certs);
  const onKafka = async () => {
    const kafka = await startApacheKafka({ props: { ...config, 'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:SASL_SSL' } });
    try {
      return await AclEnv.over({ host: kafka.host, port: kafka.port }, alice, admin, null, () => kafka.stop());
    } catch (e) {
      await kafka.stop();
      throw e;
    }
  };
  const onRunnel = () => AclEnv.runnel(alice, admin, { ...config, listeners: 'PLAINTEXT://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:SASL_SSL', 'node.id': 1 });
  [env.kafka, env.runnel] = await Promise.all([onKafka(), onRunnel()]);
  await Promise.all(SIDES.map((s) => addScramUser(env[s]!, 'alice', 'alice-scram')));
}, 240_000);

afterAll(async () => {
  await Promise.all(SIDES.map((s) => env[s]?.stop()));
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
}, 60_000);

/** Runs `fn` on Kafka, then on Runnel (one after the other: the ACL state of each is its own). */
async function both<T>(fn: (e: AclEnv, side: Side) => Promise<T>): Promise<Record<Side, T>> {
  const kafka = await fn(env.kafka!, 'kafka');
  const runnel = await fn(env.runnel!, 'runnel');
  return { kafka, runnel };
}

/** Fails listing every difference known-differences.ts does not explain (and stale entries). */
function expectSameAll(obs: Array<{ scenario: string; runnel: unknown; kafka: unknown }>): void {
  const lines: string[] = [];
  const show = (x: unknown) => JSON.stringify(x);
  for (const o of obs) {
    const r = explain(o.scenario, { runnel: o.runnel, kafka: o.kafka });
    for (const d of r.unexplained) lines.push(`${o.scenario}: ${d.path}: runnel ${show(d.runnel)}, kafka ${show(d.kafka)}`);
    for (const s of r.stale) lines.push(`${o.scenario}: known difference '${s.id}' (${s.path}) no longer shows`);
  }
  expect(lines).toEqual([]);
}

const NODE_KEYS = /^(nodeId|leaderId|controllerId|brokerId|replicaNodes|isrNodes|offlineReplicas|eligibleLeaderReplicas|lastKnownElr|coordinatorId|leader)$/;

/**
 * Deep copy with what must differ made equal: node ids (Runnel's and Kafka's are both 1 here, but
 * named anyway), hosts, ports, the cluster id, topic ids, throttle times; Buffers as their length;
 * error messages as set/unset (free text, compared exactly only for SASL, where clients show it).
 */
function norm(v: unknown): unknown {
  const walk = (x: unknown, key = ''): unknown => {
    if (key === 'throttleTimeMs') return 0;
    if (key === 'clusterId') return x === null ? null : '<cluster>';
    if (key === 'port') return '<port>';
    if (key === 'host') return typeof x === 'string' && x !== '*' ? '<host>' : x;
    if (key === 'topicId') return Buffer.isBuffer(x) && x.some((b) => b !== 0) ? '<id>' : '<zero>';
    if (key === 'errorMessage') return msg(x as string | null);
    if (NODE_KEYS.test(key)) return Array.isArray(x) ? x.map(() => '<node>') : typeof x === 'number' && x >= 0 ? '<node>' : x;
    if (typeof x === 'bigint') return Number(x);
    if (Buffer.isBuffer(x)) return `<${x.length} bytes>`;
    if (Array.isArray(x)) return x.map((i) => walk(i));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, val]) => [k, walk(val, k)]));
    return x;
  };
  return walk(v);
}

/** Whether the broker closed the connection within 3 s. */
async function closed(c: RawClient): Promise<boolean> {
  try {
    await c.waitClosed(3000);
    return true;
  } catch {
    c.close();
    return false;
  }
}

/** After a login: 'served' when the connection serves Metadata, else whether the broker closed it. */
async function after(c: RawClient, loggedIn: boolean): Promise<{ served: boolean } | { closed: boolean }> {
  if (!loggedIn) return { closed: await closed(c) };
  const md = await c.request(3, 12, { topics: [] });
  c.close();
  return { served: md !== null };
}

/** A raw SASL_SSL connection's whole login transcript (SCRAM's random parts described, not shown). */
async function login(to: Endpoint, mechanism: string, user: string, password: string, opts: { token?: Buffer } = {}): Promise<unknown> {
  const c = await RawClient.connectTls(to.host, to.port, { ca: [ca] });
  c.responseTimeoutMs = 15000;
  const out: Record<string, unknown> = {};
  out.handshake = await c.request(17, 1, { mechanism });
  let loggedIn = false;
  if (out.handshake !== null && (out.handshake as any).errorCode === 0) {
    if (mechanism === 'PLAIN' || opts.token) {
      out.authenticate = await c.request(36, 2, { authBytes: opts.token ?? plainToken(user, password) });
      loggedIn = (out.authenticate as any)?.errorCode === 0;
    } else {
      const scram = new ScramClient(mechanism as 'SCRAM-SHA-512', user, password);
      const first: any = await c.request(36, 2, { authBytes: scram.first() });
      const sf = first?.authBytes?.toString() ?? '';
      const attrs = Object.fromEntries(sf.split(',').filter(Boolean).map((p: string) => [p[0], p.slice(2)]));
      out.serverFirst = first && { ...first, authBytes: { extendsClientNonce: String(attrs.r ?? '').startsWith(scram.nonce) && attrs.r.length > scram.nonce.length, salt: attrs.s ? '<set>' : null, iterations: attrs.i ?? null } };
      if (first?.errorCode === 0) {
        const fin: any = await c.request(36, 2, { authBytes: scram.final(first.authBytes) });
        out.serverFinal = fin && { ...fin, authBytes: fin.errorCode === 0 ? scram.verifyServerFinal(fin.authBytes) : fin.authBytes.length };
        loggedIn = fin?.errorCode === 0;
      }
    }
  }
  out.after = await after(c, loggedIn);
  return out;
}

describe.skipIf(!apacheKafkaAvailable())('SASL_SSL + ACLs: Runnel answers as Apache Kafka', () => {
  it('logins over SASL_SSL: good, wrong password, unknown user, wrong mechanism', async () => {
    const obs = await both(async (e) => ({
      plainGood: await login(e.endpoint, 'PLAIN', 'alice', 'alice-plain'),
      plainWrongPassword: await login(e.endpoint, 'PLAIN', 'alice', 'nope'),
      plainUnknownUser: await login(e.endpoint, 'PLAIN', 'mallory', 'x'),
      scramGood: await login(e.endpoint, 'SCRAM-SHA-512', 'alice', 'alice-scram'),
      scramWrongPassword: await login(e.endpoint, 'SCRAM-SHA-512', 'alice', 'nope'),
      // SCRAM users and PLAIN users are separate stores: the PLAIN password does not log in with SCRAM.
      scramWithPlainPassword: await login(e.endpoint, 'SCRAM-SHA-512', 'alice', 'alice-plain'),
      scramUnknownUser: await login(e.endpoint, 'SCRAM-SHA-512', 'mallory', 'x'),
      mechanismNotEnabled: await login(e.endpoint, 'SCRAM-SHA-256', 'alice', 'alice-scram'),
      mechanismUnknown: await login(e.endpoint, 'GSSAPI', 'alice', 'x'),
      // Handshake PLAIN, then a SCRAM client-first message.
      tokenOfAnotherMechanism: await login(e.endpoint, 'PLAIN', 'alice', 'x', { token: Buffer.from('n,,n=alice,r=abcdefgh') }),
      plaintextClientOnTlsPort: await (async () => {
        const c = await RawClient.connect(e.endpoint.host, e.endpoint.port);
        const answer = await c.request(18, 3, { clientSoftwareName: 'diff', clientSoftwareVersion: '1' }).then(
          (r) => (r === null ? 'closed' : 'answered'),
          () => 'no Kafka frame',
        );
        return { answer, closed: await closed(c) };
      })(),
    }));
    expectSameAll([{ scenario: 'sasl-ssl/logins', runnel: norm(obs.runnel), kafka: norm(obs.kafka) }]);
    // What the exchange must be on both (not only equal): refused with the same message, closed.
    expect(obs.kafka.plainWrongPassword).toMatchObject({ authenticate: { errorCode: 58 }, after: { closed: true } });
    expect(obs.kafka.scramGood).toMatchObject({ serverFinal: { errorCode: 0, authBytes: true }, after: { served: true } });
  }, 90_000);

  it('kafkajs over SASL_SSL: a good login lists topics, wrong credentials fail the same way', async () => {
    const attempt = async (e: AclEnv, sasl: any) => {
      const admin = new Kafka({ brokers: [`${e.endpoint.host}:${e.endpoint.port}`], clientId: 'diff', logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [ca] }, sasl }).admin();
      try {
        await admin.connect();
        return { ok: true, topics: (await admin.listTopics()).sort() };
      } catch (err: any) {
        return { ok: false, name: err.name, type: err.type ?? null, message: err.message };
      } finally {
        await admin.disconnect();
      }
    };
    const obs = await both(async (e) => {
      await e.revokeAll();
      await e.grant([topicGrant(T, Op.DESCRIBE)]);
      const out = {
        scram: await attempt(e, { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-scram' }),
        plain: await attempt(e, { mechanism: 'plain', username: 'alice', password: 'alice-plain' }),
        scramWrong: await attempt(e, { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' }),
        plainWrong: await attempt(e, { mechanism: 'plain', username: 'alice', password: 'wrong' }),
        plainUnknown: await attempt(e, { mechanism: 'plain', username: 'mallory', password: 'x' }),
        notEnabled: await attempt(e, { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-scram' }),
      };
      await e.revokeAll();
      return out;
    });
    expectSameAll([{ scenario: 'sasl-ssl/kafkajs', runnel: obs.runnel, kafka: obs.kafka }]);
    expect(obs.kafka.scram).toEqual({ ok: true, topics: [T] });
  }, 90_000);

  it.skipIf(!existsSync(VENV_PYTHON))('librdkafka (confluent-kafka-python) over SASL_SSL: logins, the topics it may describe, a refused and an allowed produce', async () => {
    const py = async (e: AclEnv, args: Record<string, string>) => {
      const r = await run(VENV_PYTHON, [PY_CLIENT, JSON.stringify({ bootstrap: `${e.endpoint.host}:${e.endpoint.port}`, ca: certs.caCert, topic: T, ...args })], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(r.stderr);
      // The broker's address and librdkafka's timings are not the brokers' answers.
      return JSON.parse(r.stdout.trim().split('\n').pop()!.replace(/sasl_ssl:\/\/[^/]+\/[\w-]+/g, '<broker>').replace(/after \d+ms/g, 'after <n>ms'));
    };
    const scram = { mechanism: 'SCRAM-SHA-512', user: 'alice', password: 'alice-scram' };
    const obs = await both(async (e) => {
      await e.revokeAll();
      await e.grant([topicGrant(T, Op.DESCRIBE)]);
      const out: Record<string, unknown> = {
        describeOnly: await py(e, scram),
        scramWrongPassword: await py(e, { ...scram, password: 'wrong' }),
        plainUnknownUser: await py(e, { mechanism: 'PLAIN', user: 'mallory', password: 'x' }),
      };
      await e.grant([topicGrant(T, Op.WRITE)]);
      out.withWrite = await py(e, { mechanism: 'PLAIN', user: 'alice', password: 'alice-plain' });
      await e.revokeAll();
      return out;
    });
    expectSameAll([{ scenario: 'sasl-ssl/librdkafka', runnel: obs.runnel, kafka: obs.kafka }]);
    expect(obs.kafka.describeOnly).toEqual({ login: null, topics: [T], produce: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(obs.kafka.withWrite).toEqual({ login: null, topics: [T], produce: 'delivered' });
  }, 120_000);

  // Opt-in (RUNNEL_SASL_SSL_DIFF_JAVA=1): six JVM starts add ~35 s on a loaded machine, past the
  // file's CI budget; the Java client's SASL_SSL paths against Runnel run in CI in
  // test/security/sasl-ssl.test.ts.
  it.skipIf(!javaAvailable() || !process.env.RUNNEL_SASL_SSL_DIFF_JAVA)('the Java client (kafka-clients 4.4) over SASL_SSL with SCRAM-SHA-512: wrong password, a produce refused, then allowed', async () => {
    await ensureJavaBuilt();
    const produce = async (e: AclEnv, password: string) => {
      const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="${password}";`;
      const props = ['security.protocol=SASL_SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caCert}`, 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=${jaas}`, 'max.block.ms=15000'];
      const r = await runJava('Produce', ['--bootstrap', `${e.endpoint.host}:${e.endpoint.port}`, '--topic', T, '--count', '1', ...props.flatMap((p) => ['--prop', p])], { timeoutMs: 90_000 });
      if (!r.json) throw new Error(r.stderr);
      return { acked: r.json.acked, errors: r.json.errors };
    };
    // Both brokers at once (their ACL states are their own): the JVM starts dominate.
    const [kafka, runnel] = await Promise.all(
      SIDES.map(async (s) => {
        const e = env[s]!;
        await e.revokeAll();
        await e.grant([topicGrant(T, Op.DESCRIBE)]);
        const [wrongPassword, describeOnly] = await Promise.all([produce(e, 'wrong'), produce(e, 'alice-scram')]);
        await e.grant([topicGrant(T, Op.WRITE)]);
        const withWrite = await produce(e, 'alice-scram');
        await e.revokeAll();
        return { wrongPassword, describeOnly, withWrite };
      }),
    );
    expectSameAll([{ scenario: 'sasl-ssl/java', runnel, kafka }]);
    expect(kafka!.withWrite).toEqual({ acked: 1, errors: [] });
    expect(kafka!.wrongPassword.errors[0].class).toBe('SaslAuthenticationException');
  }, 180_000);

  it('every ACL matrix row as User:alice (SCRAM-SHA-512): the same refusal, field by field; both serve it once granted', async () => {
    const obs: Array<{ scenario: string; runnel: unknown; kafka: unknown }> = [];
    const notServed: string[] = [];
    for (const c of CASES) {
      const r = await both(async (e) => {
        await e.revokeAll();
        return runCase(e, c);
      });
      obs.push({ scenario: `sasl-ssl-acl/${c.name}`, kafka: { code: errorName(r.kafka.refused), response: norm(r.kafka.refusedResponse) }, runnel: { code: errorName(r.runnel.refused), response: norm(r.runnel.refusedResponse) } });
      for (const s of SIDES) if (!notAuthError(r[s].served)) notServed.push(`${c.name}: ${s} ${errorName(r[s].served)}`);
      // The pinned code (what the PLAINTEXT matrix checks in CI) is still Kafka's over SASL_SSL.
      if (r.kafka.refused !== c.denied) notServed.push(`${c.name}: kafka refused with ${errorName(r.kafka.refused)}, the matrix pins ${errorName(c.denied)}`);
    }
    expect(notServed).toEqual([]);
    expectSameAll(obs);
  }, 400_000);

  it('authorized-operations fields, Metadata filtering and DescribeAcls output agree', async () => {
    const obs = await both(async (e) => {
      await e.revokeAll();
      await e.grant([
        topicGrant(T, Op.READ),
        topicGrant(T, Op.ALTER_CONFIGS),
        { type: TOPIC, name: 'acl-d', op: Op.DESCRIBE, pattern: PatternType.PREFIXED },
        groupGrant(G, Op.DELETE),
        clusterGrant(Op.DESCRIBE),
        clusterGrant(Op.IDEMPOTENT_WRITE),
      ]);
      const md = await e.request(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
      const mdCluster = await e.request(3, 10, { topics: [{ name: T, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
      const groups = await e.request(15, 5, { groups: [G], includeAuthorizedOperations: true });
      const cluster = await e.request(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      // acl-cp: not describable (listed last by Kafka); acl-del: describable, deleted by the matrix's DeleteTopics row.
      const dtp = await e.request(75, 0, { topics: [{ name: T }, { name: 'acl-cp' }, { name: 'acl-del' }, { name: 'acl-dr' }], responsePartitionLimit: 10, cursor: null });
      const acls = await e.describeAcls();
      // Kafka lists resources and their ACLs from hash maps: order means nothing.
      const sortBy = <X>(xs: X[], k: (x: X) => string) => [...xs].sort((a, b) => k(a).localeCompare(k(b)));
      acls.resources = sortBy(acls.resources, (r: any) => `${r.resourceType}:${r.resourceName}:${r.patternType}`).map((r: any) => ({ ...r, acls: sortBy(r.acls, (a: any) => `${a.operation}:${a.permissionType}`) }));
      md.topics = sortBy(md.topics, (t: any) => t.name);
      return { metadataAllTopics: md, metadataCluster: mdCluster, describeGroups: groups, describeCluster: cluster, describeTopicPartitions: dtp, describeAcls: acls };
    });
    expectSameAll(Object.keys(obs.kafka).map((k) => ({ scenario: `sasl-ssl-acl/${k}`, runnel: norm((obs.runnel as any)[k]), kafka: norm((obs.kafka as any)[k]) })));
    // Not just equal: filtered to what alice may describe.
    const listed = obs.kafka.metadataAllTopics.topics.map((t: any) => t.name);
    expect(listed).toContain(T);
    expect(listed.filter((n: string) => n !== T && !n.startsWith('acl-d'))).toEqual([]);
  }, 90_000);
});
