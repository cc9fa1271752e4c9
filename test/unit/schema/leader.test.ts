/**
 * The registry as a cluster runs it: its store follows `_schemas` (records another broker wrote
 * arrive by replication), the writer catches up to the end of the topic before deciding (a new
 * leader never hands out an id twice), and a broker that does not lead `_schemas`-0 forwards writes
 * over HTTP to the leader's registry and answers read-your-write (two registries on free ports, a
 * "replication" that copies the leader's log into the follower's).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCHEMAS_TOPIC } from '../../../src/data/internal-topic.js';
import { silentLogger } from '../../../src/logger.js';
import { LeaderSchemaWriter, FORWARDED_HEADER, type RegistryCluster } from '../../../src/schema/forward.js';
import { CONTENT_TYPE, RegistryHttpServer } from '../../../src/schema/http.js';
import { defaultSchemaLimits } from '../../../src/schema/limits.js';
import { encodeKey, encodeSchemaValue } from '../../../src/schema/records.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { MemorySchemasLog, type KeyedRecord } from '../../../src/schema/schemas-log.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';
import { ORDER_V1, ORDER_V2, text } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const limits = { ...defaultSchemaLimits(), storeTimeoutMs: 2000, forwardTimeoutMs: 2000 };

function registry(log: MemorySchemasLog): SchemaRegistry {
  const r = new SchemaRegistry(log, silentLogger(), limits);
  cleanups.push(() => r.stopFollowing());
  return r;
}

/** A schema record as another broker's registry would have written it. */
function foreignSchema(subject: string, version: number, id: number, schema: unknown): KeyedRecord {
  return { key: encodeKey({ keytype: 'SCHEMA', subject, version }), value: encodeSchemaValue({ subject, version, id, schemaType: 'AVRO', references: [], schema: text(schema), deleted: false }) };
}

/** The leader's log; every append is copied into the follower's log shortly after (replication). */
class ReplicatedLog extends MemorySchemasLog {
  constructor(private readonly follower: MemorySchemasLog) {
    super();
  }

  override async append(records: readonly KeyedRecord[]): Promise<{ baseOffset: number; lastOffset: number }> {
    const at = await super.append(records);
    setTimeout(() => this.follower.push(...records), 30);
    return at;
  }
}

async function serve(r: SchemaRegistry, writer?: ConstructorParameters<typeof RegistryHttpServer>[3]): Promise<string> {
  const server = new RegistryHttpServer(r, silentLogger(), r.limits.maxRequestBytes, writer);
  const { port } = await server.listen('127.0.0.1', 0);
  cleanups.push(() => server.close());
  return `http://127.0.0.1:${port}`;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method, headers: { 'content-type': CONTENT_TYPE, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}

describe('the registry follows _schemas', () => {
  it('applies records another broker wrote as they arrive', async () => {
    const log = new MemorySchemasLog();
    const r = registry(log);
    await r.load();
    r.follow();
    expect(r.subjects()).toEqual([]);
    log.push(foreignSchema('orders-value', 1, 7, ORDER_V1));
    await vi.waitFor(() => expect(r.subjects()).toEqual(['orders-value']));
    expect(r.schemaById(7).schema).toBe(text(ORDER_V1));
    expect(r.appliedOffset).toBe(1);
  });

  it('a new leader reads the topic to its end before deciding: ids are never handed out twice', async () => {
    const log = new MemorySchemasLog();
    const r = registry(log);
    await r.load();
    // The previous leader's last write reached this replica, and nothing has read it yet.
    log.push(foreignSchema('a-value', 1, 1, ORDER_V1));
    expect(await r.register('b-value', { schema: text(ORDER_V2) })).toEqual({ id: 2 });
    expect(r.subjects()).toEqual(['a-value', 'b-value']);
  });

  it('applies its own write once, whether it or the tail reads it first', async () => {
    const log = new MemorySchemasLog();
    const r = registry(log);
    await r.load();
    r.follow();
    expect(await r.register('s-value', { schema: text(ORDER_V1) })).toEqual({ id: 1 });
    expect(await r.register('s-value', { schema: text(ORDER_V2) })).toEqual({ id: 2 });
    await r.deleteVersion('s-value', '1', false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(r.versions('s-value')).toEqual([2]);
    expect(r.versions('s-value', true)).toEqual([1, 2]);
    expect(r.appliedOffset).toBe(log.records.length);
  });
});

describe('writes go to the leader of _schemas-0', () => {
  async function pair(leaderId: number) {
    const followerLog = new MemorySchemasLog();
    const leaderRegistry = registry(new ReplicatedLog(followerLog));
    const followerRegistry = registry(followerLog);
    followerRegistry.follow();
    const leaderUrl = await serve(leaderRegistry);
    const cluster: RegistryCluster = { schemasLeader: () => leaderId, registryAddressOf: (id) => (id === 1 ? leaderUrl : null) };
    // This broker leads nothing; `_schemas` exists.
    const followerUrl = await serve(followerRegistry, new LeaderSchemaWriter(new FakeLeadership(), cluster, () => true));
    return { leaderUrl, followerUrl, leaderRegistry, followerRegistry };
  }

  it('a broker that does not lead forwards writes, and reads its own write right after', async () => {
    const { leaderUrl, followerUrl, leaderRegistry } = await pair(1);
    expect(await call(followerUrl, 'POST', '/subjects/orders-value/versions', { schema: text(ORDER_V1) })).toEqual({ status: 200, json: { id: 1 } });
    expect(leaderRegistry.subjects()).toEqual(['orders-value']);
    // Read-your-write on the broker the client talks to, though replication lags.
    expect(await call(followerUrl, 'GET', '/schemas/ids/1')).toEqual({ status: 200, json: { schema: text(ORDER_V1) } });
    expect((await call(followerUrl, 'PUT', '/config/orders-value', { compatibility: 'FULL' })).json).toEqual({ compatibility: 'FULL' });
    expect((await call(followerUrl, 'GET', '/config/orders-value')).json).toEqual({ compatibilityLevel: 'FULL' });
    // The leader's errors come back as they are.
    const bad = await call(followerUrl, 'POST', '/subjects/orders-value/versions', { schema: '{"type": "nope"}' });
    expect([bad.status, bad.json.error_code]).toEqual([422, 42201]);
    expect((await call(followerUrl, 'DELETE', '/subjects/orders-value')).json).toEqual([1]);
    await vi.waitFor(async () => expect((await call(followerUrl, 'GET', '/subjects')).json).toEqual([]));
    // Reads are answered locally, writes on the leader directly work too.
    expect((await call(leaderUrl, 'POST', '/subjects/other-value/versions', { schema: text(ORDER_V2) })).json).toEqual({ id: 2 });
  });

  it('unknown leader: 50004; a forwarded write reaching a non-leader: 50003 (never forwarded twice)', async () => {
    const unknown = await pair(-1);
    const r = await call(unknown.followerUrl, 'POST', '/subjects/x-value/versions', { schema: text(ORDER_V1) });
    expect([r.status, r.json.error_code]).toEqual([500, 50004]);
    const moving = await pair(1);
    const f = await call(moving.followerUrl, 'DELETE', '/config/x', undefined, { [FORWARDED_HEADER]: '1' });
    expect([f.status, f.json.error_code]).toEqual([500, 50003]);
    // Reads never forward.
    expect((await call(unknown.followerUrl, 'GET', '/subjects')).status).toBe(200);
  });

  it('routes: local when leading `_schemas`-0 or when the topic does not exist yet', () => {
    const leadership = new FakeLeadership();
    const cluster: RegistryCluster = { schemasLeader: () => 2, registryAddressOf: () => 'http://leader:8081' };
    let exists = false;
    const writer = new LeaderSchemaWriter(leadership, cluster, () => exists);
    expect(writer.route()).toEqual({ kind: 'local' });
    exists = true;
    expect(writer.route()).toEqual({ kind: 'forward', url: 'http://leader:8081' });
    leadership.lead(SCHEMAS_TOPIC, 0);
    expect(writer.route()).toEqual({ kind: 'local' });
  });

  it('prepare: the first write creates `_schemas` before it is routed (its leader may be another broker)', async () => {
    const cluster: RegistryCluster = { schemasLeader: () => 2, registryAddressOf: () => 'http://leader:8081' };
    let exists = false;
    let creations = 0;
    const writer = new LeaderSchemaWriter(new FakeLeadership(), cluster, () => exists, async () => {
      creations++;
      exists = true;
    });
    await writer.prepare();
    expect([creations, writer.route()]).toEqual([1, { kind: 'forward', url: 'http://leader:8081' }]);
    await writer.prepare();
    expect(creations).toBe(1);
  });
});
