/**
 * SASL/OAUTHBEARER over SASL_SSL with real clients beyond kafkajs: the Java client (kafka-clients
 * 4.4, its own OAuthBearerLoginCallbackHandler fetching a token with the client-credentials grant
 * from a token endpoint) and librdkafka (confluent-kafka-python 2.16, an oauth_cb). The test runs
 * one small HTTP server on 127.0.0.1 that is both the identity provider's token endpoint (tokens
 * signed here with the test's RSA key) and the JWKS endpoint the broker validates them against
 * (sasl.oauthbearer.jwks.endpoint.url). Both clients produce and consume in a group over it; a
 * token signed by another key (Java: its own validator checks only claims, so the broker is the one
 * refusing) and an expired token (librdkafka) are refused with the client's usual authentication
 * error, and the broker stays healthy.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { run } from '../helpers/clients.js';
import { ensureJavaBuilt, javaAvailable, runJava } from '../helpers/java.js';
import { claims, initialResponse, jwks, jwt, nowSeconds, rsaKeys } from '../helpers/jwt.js';
import { RawClient } from '../helpers/raw-client.js';

const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
const PY = join(REPO_ROOT, 'test', 'security', 'py', 'oauth_clients.py');
const VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
const LOGIN_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler';

const idp = rsaKeys();
const forger = rsaKeys();

/** What the token endpoint hands out, by the path asked (the test picks a kind per client). */
type Kind = 'good' | 'forged' | 'expired';
function token(kind: Kind, sub: string): string {
  if (kind === 'forged') return jwt(claims({ sub }, 300), { key: forger.privateKey });
  if (kind === 'expired') return jwt(claims({ sub, iat: nowSeconds() - 600, exp: nowSeconds() - 300 }), { key: idp.privateKey });
  return jwt(claims({ sub }, 300), { key: idp.privateKey });
}

let certs: CertSet;
let broker: TestBroker;
let bootstrap: string;
let server: Server;
let base: string;
const tokenRequests: Array<{ path: string; grant: string | null; basic: string | null }> = [];

async function body(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString();
}

beforeAll(async () => {
  certs = makeCerts('oauth-clients');
  server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(jwks({ 'rsa-1': idp.publicKey }));
      const m = /^\/token\/(good|forged|expired)$/.exec(url.pathname);
      if (!m) return res.writeHead(404).end();
      const form = new URLSearchParams(await body(req));
      const auth = req.headers.authorization ?? null;
      tokenRequests.push({ path: url.pathname, grant: form.get('grant_type'), basic: auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : null });
      const sub = url.searchParams.get('sub') ?? 'svc-orders';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token(m[1] as Kind, sub), token_type: 'Bearer', expires_in: 300 }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  broker = await startTestBroker({
    host: undefined,
    port: undefined,
    config: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      'listener.security.protocol.map': 'SASL_SSL:SASL_SSL',
      'sasl.enabled.mechanisms': 'OAUTHBEARER',
      'sasl.oauthbearer.jwks.endpoint.url': `${base}/jwks`,
      'sasl.oauthbearer.expected.audience': 'runnel',
      'sasl.oauthbearer.expected.issuer': 'https://idp.test',
      'listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.brokerPem,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.num.partitions': 1,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const at = broker.broker.advertised[0]!;
  bootstrap = `${at.host}:${at.port}`;
}, 60_000);

afterAll(async () => {
  await broker?.cleanup();
  server?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

/** The broker still authenticates a good token over SASL_SSL and serves Metadata. */
async function healthy(): Promise<void> {
  const [host, port] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1))];
  const c = await RawClient.connectTls(host, port, { ca: [readFileSync(certs.caCert)] });
  try {
    expect((await c.request(17, 1, { mechanism: 'OAUTHBEARER' })).errorCode).toBe(0);
    const auth = await c.request(36, 2, { authBytes: initialResponse(token('good', 'health')) });
    expect(auth).toMatchObject({ errorCode: 0, authBytes: Buffer.alloc(0) });
    expect((await c.request(3, 12, { topics: null })).brokers).toHaveLength(1);
  } finally {
    c.close();
  }
}

describe('Java client (kafka-clients 4.4): OAuthBearerLoginCallbackHandler with the client-credentials grant', () => {
  const props = (kind: Kind) => {
    const url = `${base}/token/${kind}`;
    return {
      args: [
        'security.protocol=SASL_SSL',
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${certs.caCert}`,
        'sasl.mechanism=OAUTHBEARER',
        `sasl.login.callback.handler.class=${LOGIN_HANDLER}`,
        `sasl.oauthbearer.token.endpoint.url=${url}`,
        'sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="orders-app" clientSecret="orders-secret";',
      ].flatMap((p) => ['--prop', p]),
      // Kafka 4 clients fetch tokens only from URLs allowed by this system property.
      jvmArgs: [`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${url}`],
    };
  };

  it.skipIf(!javaAvailable())('produces and consumes in a group; a token signed by another key is a SaslAuthenticationException', async () => {
    await ensureJavaBuilt();
    const good = props('good');
    const produced = await runJava('Produce', ['--bootstrap', bootstrap, '--topic', 'oauth-java', '--count', '5', ...good.args], { timeoutMs: 90_000, jvmArgs: good.jvmArgs });
    expect(produced.json?.acked, produced.stderr).toBe(5);
    const consumed = await runJava('Consume', ['--bootstrap', bootstrap, '--topic', 'oauth-java', '--group', 'oauth-java-g', '--from-beginning', '--max', '5', '--commit', ...good.args], { timeoutMs: 90_000, jvmArgs: good.jvmArgs });
    expect(consumed.json?.count, consumed.stderr).toBe(5);
    // The client used the client-credentials grant with its id and secret (HTTP Basic).
    expect(tokenRequests.find((r) => r.path === '/token/good')).toEqual({ path: '/token/good', grant: 'client_credentials', basic: 'orders-app:orders-secret' });

    const forged = props('forged');
    const t0 = Date.now();
    const refused = await runJava('Produce', ['--bootstrap', bootstrap, '--topic', 'oauth-java', '--count', '1', '--prop', 'max.block.ms=15000', ...forged.args], { timeoutMs: 60_000, jvmArgs: forged.jvmArgs });
    expect(refused.json, refused.stderr).toMatchObject({ acked: 0, errors: [{ class: 'SaslAuthenticationException' }] });
    expect(refused.json.errors[0].message).toBe('Authentication failed: invalid_token');
    expect(Date.now() - t0).toBeLessThan(45_000);
    await healthy();
  }, 240_000);
});

describe('librdkafka (confluent-kafka-python 2.16): oauth_cb', () => {
  const py = async (args: Record<string, unknown>) => {
    const r = await run(VENV_PYTHON, [PY, JSON.stringify({ protocol: 'SASL_SSL', ca: certs.caCert, bootstrap, ...args })], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };

  it('produces, consumes in a group and commits', async () => {
    const r = await py({ token_url: `${base}/token/good?sub=svc-librdkafka`, topic: 'oauth-rdk', group: 'oauth-rdk-g' });
    expect(r).toMatchObject({ produced: 5, consumed: ['v0', 'v1', 'v2', 'v3', 'v4'], committed: 5 });
    expect(r.tokens).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it.each([
    ['an expired token', 'expired'],
    ['a token signed by another key', 'forged'],
  ] as const)('%s fails fast with an authentication error; the broker stays healthy', async (_name, kind) => {
    const r = await py({ token_url: `${base}/token/${kind}`, expect_fail: true });
    expect(r.failed, r.error).toBe(true);
    expect(r.error).toMatch(/SASL authentication error: Authentication failed: invalid_token/);
    expect(r.seconds).toBeLessThan(6);
    await healthy();
  }, 60_000);
});
