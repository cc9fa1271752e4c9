/**
 * Issue 6 acceptance: schemas, ids, versions, deletions and configs survive a kill -9 of the
 * broker process (every registry answer is given only once its `_schemas` record is fsynced), and
 * validation works from the first produce after the restart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry as KafkajsRegistry } from '@kafkajs/confluent-schema-registry';
import { removeDir, spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { kafkajs } from '../../bench/data-path/clients.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const registryUrl = (b: ChildBroker): string => {
  const line = b.logs.find((l) => l.includes('"broker started"'))!;
  return (JSON.parse(line) as { schemaRegistry: string }).schemaRegistry;
};

async function http(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, { method, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

const rec = (fields: Array<{ name: string; type: unknown; default?: unknown }>) => JSON.stringify({ type: 'record', name: 'Event', namespace: 'restart', fields });
const V1 = rec([{ name: 'id', type: 'long' }]);
const V2 = rec([{ name: 'id', type: 'long' }, { name: 'tag', type: 'string', default: '' }]);
const OTHER = JSON.stringify({ type: 'enum', name: 'Kind', symbols: ['A', 'B'] });

/** Everything a client can observe about the registry. */
async function snapshot(base: string) {
  const subjects: string[] = await http(base, 'GET', '/subjects?deleted=true');
  const out: Record<string, unknown> = { subjects, live: await http(base, 'GET', '/subjects'), config: await http(base, 'GET', '/config') };
  for (const s of subjects) {
    const versions: number[] = await http(base, 'GET', `/subjects/${s}/versions?deleted=true`);
    out[s] = {
      versions: await Promise.all(versions.map((v) => http(base, 'GET', `/subjects/${s}/versions/${v}?deleted=true`))),
      config: await http(base, 'GET', `/config/${s}`),
    };
  }
  return out;
}

describe('schema registry across kill -9', () => {
  it('keeps schemas, ids, versions, deletions and configs; validation works right after', async () => {
    const dataDir = tempDir('schema-kill');
    dirs.push(dataDir);
    const first = await spawnBroker(dataDir);
    let base = registryUrl(first);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await http(base, 'POST', '/subjects/events-value/versions', { schema: V1 })).toEqual({ id: 1 });
    expect(await http(base, 'POST', '/subjects/events-value/versions', { schema: V2 })).toEqual({ id: 2 });
    expect(await http(base, 'POST', '/subjects/kinds-value/versions', { schema: OTHER })).toEqual({ id: 3 });
    expect(await http(base, 'POST', '/subjects/gone-value/versions', { schema: '"string"' })).toEqual({ id: 4 });
    expect(await http(base, 'PUT', '/config/kinds-value', { compatibility: 'FULL' })).toEqual({ compatibility: 'FULL' });
    expect(await http(base, 'PUT', '/config', { compatibility: 'BACKWARD_TRANSITIVE' })).toEqual({ compatibility: 'BACKWARD_TRANSITIVE' });
    expect(await http(base, 'DELETE', '/subjects/events-value/versions/1')).toBe(1);
    expect(await http(base, 'DELETE', '/subjects/gone-value')).toEqual([1]);
    const kafka = kafkajs(first.bootstrap, 'schema-restart');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }] }] });
    await admin.disconnect();
    const before = await snapshot(base);
    await first.kill('SIGKILL');

    const second = await spawnBroker(dataDir);
    try {
      base = registryUrl(second);
      expect(await snapshot(base)).toEqual(before);
      expect((before['events-value'] as { versions: unknown[] }).versions).toHaveLength(2);
      // Lookups find the same ids; a new schema gets the next id, not a reused one.
      expect(await http(base, 'POST', '/subjects/events-value', { schema: V2 })).toMatchObject({ id: 2, version: 2 });
      expect(await http(base, 'POST', '/subjects/new-value/versions', { schema: '"bytes"' })).toEqual({ id: 5 });

      const registry = new KafkajsRegistry({ host: base });
      const producer = kafkajs(second.bootstrap, 'schema-restart').producer();
      await producer.connect();
      try {
        await producer.send({ topic: 'events', messages: [{ value: await registry.encode(2, { id: 1, tag: 'x' }) }] });
        // Version 1 was soft-deleted before the crash: its id no longer passes for events-value.
        const err = await producer.send({ topic: 'events', messages: [{ value: await registry.encode(1, { id: 2 }) }] }).catch((e: Error) => e);
        expect(String((err as { type?: string }).type ?? (err as Error).message)).toMatch(/INVALID_RECORD|validate/i);
      } finally {
        await producer.disconnect();
      }
    } finally {
      await second.kill('SIGTERM');
    }
  });
});
