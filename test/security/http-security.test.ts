/**
 * TLS and HTTP Basic auth on the HTTP ports (issue 20): the schema registry and the admin
 * endpoint served over HTTPS with the broker's key store, users from runnel.http.basic.auth.users
 * with read-only and read-write roles. Confluent's own registry client (confluent-kafka-python,
 * basic.auth.user.info + ssl.ca.location) registers as read-write and is refused as read-only;
 * raw requests check each refusal: no credentials, a wrong password, an unknown user (same 401),
 * a read-only write (403 / 40301); /metrics needs a user, the probes do not.
 */
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { REPO_ROOT, tempDir } from '../helpers/broker.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { DEBIAN_PYTHON, run } from '../helpers/clients.js';
import { parseHttpUsers } from '../../src/security/http-security.js';

let certs: CertSet;
let broker: RunningBroker;
let dataDir: string;

beforeAll(async () => {
  certs = makeCerts('certs-http');
  dataDir = tempDir('http-sec');
  broker = await startBroker({
    dataDir,
    logLevel: process.env.RUNNEL_TEST_LOG ?? 'silent',
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.brokerPem,
      'runnel.schema.registry.ssl.enabled': true,
      'runnel.admin.ssl.enabled': true,
      'runnel.http.basic.auth.users': 'reader:r-pass:read-only,writer:w-pass:read-write',
    },
  });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function call(url: string, method: string, auth?: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method, ca: readFileSync(certs.caCert), headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...(auth ? { authorization: auth } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* text */
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const SCHEMA = { schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] }) };

describe('schema registry over HTTPS with Basic auth', () => {
  it('serves https:// and refuses plain HTTP on the same port', async () => {
    const url = broker.schemaRegistryUrl!;
    expect(url).toMatch(/^https:\/\//);
    const u = new URL(url);
    const err = await new Promise<unknown>((resolve) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: '/subjects' }, (res) => resolve(res.statusCode));
      req.on('error', resolve);
      req.end();
    });
    expect(err).toBeInstanceOf(Error);
  });

  it('no credentials, a wrong password and an unknown user get the same 401 with a Basic challenge', async () => {
    const url = `${broker.schemaRegistryUrl}/subjects`;
    for (const auth of [undefined, basic('reader', 'nope'), basic('nobody', 'r-pass')]) {
      const r = await call(url, 'GET', auth);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error_code: 401, message: 'Unauthorized' });
      expect(r.headers['www-authenticate']).toBe('Basic realm="runnel"');
    }
    // Not even the routing answers without credentials.
    expect((await call(`${broker.schemaRegistryUrl}/no/such/route`, 'GET')).status).toBe(401);
  });

  it('read-only reads and looks up, cannot write (403 / 40301); read-write writes', async () => {
    const reg = broker.schemaRegistryUrl!;
    const denied = await call(`${reg}/subjects/s1-value/versions`, 'POST', basic('reader', 'r-pass'), SCHEMA);
    expect(denied.status).toBe(403);
    expect(denied.body.error_code).toBe(40301);
    expect((await call(`${reg}/subjects`, 'GET', basic('reader', 'r-pass'))).body).toEqual([]);
    const written = await call(`${reg}/subjects/s1-value/versions`, 'POST', basic('writer', 'w-pass'), SCHEMA);
    expect(written.status).toBe(200);
    expect(written.body.id).toBeGreaterThan(0);
    const lookup = await call(`${reg}/subjects/s1-value`, 'POST', basic('reader', 'r-pass'), SCHEMA);
    expect(lookup.status).toBe(200);
    expect(lookup.body.id).toBe(written.body.id);
    for (const [method, path] of [['DELETE', '/subjects/s1-value'], ['PUT', '/config'], ['PUT', '/mode']] as const) {
      expect((await call(`${reg}${path}`, method, basic('reader', 'r-pass'), { compatibility: 'NONE', mode: 'READONLY' })).status, `${method} ${path}`).toBe(403);
    }
    expect((await call(`${reg}/subjects`, 'GET', basic('reader', 'r-pass'))).body).toEqual(['s1-value']);
  });

  it("Confluent's registry client (confluent-kafka-python) with basic.auth.user.info and ssl.ca.location", async () => {
    const r = await run(DEBIAN_PYTHON, [join(REPO_ROOT, 'test', 'security', 'py', 'registry_auth.py'), JSON.stringify({ url: broker.schemaRegistryUrl, ca: certs.caCert, writer: 'writer:w-pass', reader: 'reader:r-pass' })], {
      timeoutMs: 30_000,
      // requests prefers these over the session's CA file (its issue #3829): the client's ssl.ca.location must count.
      env: { REQUESTS_CA_BUNDLE: undefined, CURL_CA_BUNDLE: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.registered).toBeGreaterThan(0);
    expect(out.readBack).toBe('T');
    expect(out.subjects).toContain('auth-value');
    expect(out.readerWrite).toEqual([403, 40301]);
    expect(out.wrongPassword).toEqual([401, 401]);
  }, 40_000);
});

describe('admin endpoint over HTTPS with Basic auth', () => {
  it('/metrics needs a user, /health and /ready do not', async () => {
    const admin = broker.broker.adminHttp!.url!;
    expect(admin).toMatch(/^https:\/\//);
    expect((await call(`${admin}/metrics`, 'GET')).status).toBe(401);
    expect((await call(`${admin}/metrics`, 'GET', basic('writer', 'bad'))).status).toBe(401);
    const m = await call(`${admin}/metrics`, 'GET', basic('reader', 'r-pass'));
    expect(m.status).toBe(200);
    expect(String(m.body)).toContain('kafka_server_socketservermetrics_connection_count');
    expect((await call(`${admin}/health`, 'GET')).status).toBe(200);
    expect((await call(`${admin}/ready`, 'GET')).status).toBe(200);
  });
});

describe('runnel.http.basic.auth.users', () => {
  it('parses name:password:role (the password may hold colons) and refuses a bad entry without echoing it', () => {
    const users = parseHttpUsers('a:x:y:read-only, b:p:read-write');
    expect([...users.keys()]).toEqual(['a', 'b']);
    expect(users.get('a')!.role).toBe('read-only');
    expect(() => parseHttpUsers('a:secret:admin')).toThrow(/entry 1 is not name:password:role/);
    expect(() => parseHttpUsers('a:secret:admin')).not.toThrow(/secret/);
  });
});
