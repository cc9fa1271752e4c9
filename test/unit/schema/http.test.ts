/**
 * The REST layer over HTTP (node's fetch against a server on a free port): every route of the
 * issue, Confluent's content type, status codes and error bodies, URL-encoded subjects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_TYPE, RegistryHttpServer } from '../../../src/schema/http.js';
import { silentLogger } from '../../../src/logger.js';
import { memoryRegistry, ORDER_BAD, ORDER_V1, ORDER_V2, text } from './fixtures.js';

let server: RegistryHttpServer;
let base: string;

beforeAll(async () => {
  const { registry } = memoryRegistry();
  server = new RegistryHttpServer(registry, silentLogger(), registry.limits.maxRequestBytes);
  const { port } = await server.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => server.close());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; json: any; text: string }> {
  const res = await fetch(base + path, { method, headers: { 'content-type': CONTENT_TYPE }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const t = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(t);
  } catch {
    json = null;
  }
  return { status: res.status, type: res.headers.get('content-type'), json, text: t };
}

describe('schema registry REST API', () => {
  it('registers, reads and looks up', async () => {
    const reg = await call('POST', '/subjects/orders-value/versions', { schema: text(ORDER_V1) });
    expect(reg).toMatchObject({ status: 200, type: CONTENT_TYPE, json: { id: 1 } });
    expect((await call('POST', '/subjects/orders-value/versions', { schema: text(ORDER_V2) })).json).toEqual({ id: 2 });
    expect((await call('GET', '/subjects')).json).toEqual(['orders-value']);
    expect((await call('GET', '/subjects/orders-value/versions')).json).toEqual([1, 2]);
    expect((await call('GET', '/subjects/orders-value/versions/latest')).json).toEqual({ subject: 'orders-value', version: 2, id: 2, schema: text(ORDER_V2) });
    expect((await call('GET', '/subjects/orders-value/versions/1/schema')).json).toEqual(ORDER_V1);
    expect((await call('POST', '/subjects/orders-value', { schema: JSON.stringify(ORDER_V1, null, 4) })).json).toMatchObject({ id: 1, version: 1 });
    expect((await call('GET', '/schemas/ids/2')).json).toEqual({ schema: text(ORDER_V2) });
    expect((await call('GET', '/schemas/ids/2/schema')).json).toEqual(ORDER_V2);
    expect((await call('GET', '/schemas/ids/1/versions')).json).toEqual([{ subject: 'orders-value', version: 1 }]);
    expect((await call('GET', '/schemas/types')).json).toEqual(['AVRO']);
    expect((await call('GET', '/')).json).toEqual({});
  });

  it('compatibility checks, 409 on an incompatible registration', async () => {
    expect((await call('POST', '/compatibility/subjects/orders-value/versions/latest', { schema: text(ORDER_BAD) })).json).toEqual({ is_compatible: false });
    const verbose = await call('POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true', { schema: text(ORDER_BAD) });
    expect(verbose.json.messages.length).toBeGreaterThan(0);
    expect((await call('POST', '/compatibility/subjects/orders-value/versions', { schema: text(ORDER_V2) })).json).toEqual({ is_compatible: true });
    const r = await call('POST', '/subjects/orders-value/versions', { schema: text(ORDER_BAD) });
    expect(r.status).toBe(409);
    expect(r.json.error_code).toBe(409);
    expect(r.json.message).toMatch(/incompatible with an earlier schema for subject "orders-value"/);
  });

  it('config and mode', async () => {
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('GET', '/config/orders-value')).json).toMatchObject({ error_code: 40408 });
    expect((await call('GET', '/config/orders-value')).status).toBe(404);
    expect((await call('PUT', '/config/orders-value', { compatibility: 'FULL' })).json).toEqual({ compatibility: 'FULL' });
    expect((await call('GET', '/config/orders-value')).json).toEqual({ compatibilityLevel: 'FULL' });
    expect((await call('DELETE', '/config/orders-value')).json).toEqual({ compatibilityLevel: 'FULL' });
    expect((await call('GET', '/config/orders-value?defaultToGlobal=true')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/config', { compatibility: 'backward_transitive' })).json).toEqual({ compatibility: 'BACKWARD_TRANSITIVE' });
    expect((await call('DELETE', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
    expect((await call('GET', '/config')).json).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('PUT', '/config', { compatibility: 'nope' })).json).toMatchObject({ error_code: 42203 });
    expect((await call('GET', '/mode')).json).toEqual({ mode: 'READWRITE' });
    expect((await call('PUT', '/mode', { mode: 'READONLY' })).json).toEqual({ mode: 'READONLY' });
    expect((await call('POST', '/subjects/x/versions', { schema: '"string"' })).json).toMatchObject({ error_code: 42205 });
    expect((await call('PUT', '/mode', { mode: 'READWRITE' })).json).toEqual({ mode: 'READWRITE' });
  });

  it('deletes softly and permanently, subjects with slashes', async () => {
    const subject = encodeURIComponent('team/a-value');
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: '"string"' })).status).toBe(200);
    expect((await call('GET', '/subjects')).json).toContain('team/a-value');
    expect((await call('DELETE', `/subjects/${subject}/versions/1?permanent=true`)).json).toMatchObject({ error_code: 40407 });
    expect((await call('DELETE', `/subjects/${subject}/versions/1`)).json).toBe(1);
    expect((await call('GET', `/subjects/${subject}/versions`)).json).toMatchObject({ error_code: 40401 });
    expect((await call('GET', `/subjects/${subject}/versions?deleted=true`)).json).toEqual([1]);
    expect((await call('DELETE', `/subjects/${subject}?permanent=true`)).json).toEqual([1]);
    expect((await call('GET', '/subjects?deleted=true')).json).not.toContain('team/a-value');
  });

  it("Confluent's error bodies and statuses", async () => {
    const cases: Array<[string, string, unknown, number, number]> = [
      ['GET', '/subjects/nope/versions', undefined, 404, 40401],
      ['GET', '/subjects/orders-value/versions/77', undefined, 404, 40402],
      ['GET', '/schemas/ids/77', undefined, 404, 40403],
      ['GET', '/schemas/ids/abc', undefined, 404, 40403],
      ['GET', '/subjects/orders-value/versions/zero', undefined, 422, 42202],
      ['POST', '/subjects/s/versions', { schema: '{"type":"nope"}' }, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: 'not json' }, 422, 42201],
      ['POST', '/subjects/s/versions', '{broken', 400, 400],
      ['GET', '/no/such/route', undefined, 404, 404],
      ['PATCH', '/subjects', undefined, 405, 405],
    ];
    for (const [method, path, body, status, errorCode] of cases) {
      const r = await call(method, path, body);
      expect([method, path, r.status, r.json?.error_code]).toEqual([method, path, status, errorCode]);
      expect(typeof r.json.message).toBe('string');
      expect(r.type).toBe(CONTENT_TYPE);
    }
  });
});
