/**
 * `runnel schema register|get|list|check` and Avro decoding in `runnel consume`, against
 * Runnel's schema registry (Confluent's REST API), with .avsc files and records framed the
 * Confluent way (magic 0, schema id, Avro body).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import avro from 'avsc';
import { runCli } from '../../src/cli/main.js';
import { KafkaClient, Producer } from '../../src/client/index.js';
import { createServer } from 'node:net';
import { startTestBroker, tempDir, removeDir, type TestBroker } from '../helpers/broker.js';

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let broker: TestBroker;
let dir: string;
let registry: string;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from([]), env: { RUNNEL_BOOTSTRAP_SERVER: broker.bootstrap, RUNNEL_SCHEMA_REGISTRY: registry }, stderrIsTTY: false });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const V1 = { type: 'record', name: 'User', namespace: 'demo', fields: [{ name: 'name', type: 'string' }] };
const V2 = { ...V1, fields: [...V1.fields, { name: 'age', type: 'int', default: 0 }] };
const BAD = { ...V1, fields: [{ name: 'name', type: 'int' }] };

beforeAll(async () => {
  broker = await startTestBroker();
  registry = broker.schemaRegistryUrl!;
  dir = tempDir('schema-cli');
  writeFileSync(join(dir, 'v1.avsc'), JSON.stringify(V1, null, 2));
  writeFileSync(join(dir, 'v2.avsc'), JSON.stringify(V2, null, 2));
  writeFileSync(join(dir, 'bad.avsc'), JSON.stringify(BAD));
  writeFileSync(join(dir, 'broken.avsc'), '{"type": "record",');
});

afterAll(async () => {
  await broker?.cleanup();
  if (dir) removeDir(dir);
});

describe('runnel schema', () => {
  let id1 = 0;
  let id2 = 0;

  it('registers .avsc files and lists subjects', async () => {
    const r = await cli(['schema', 'register', 'users-value', join(dir, 'v1.avsc')]);
    expect(r.code, r.stderr).toBe(0);
    const m = /^Registered .*v1\.avsc under subject users-value: schema id (\d+)\.\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    id1 = Number(m![1]);
    const list = await cli(['schema', 'list']);
    expect(list.stdout).toMatch(/^SUBJECT\s+LATEST-VERSION\s+ID\n/);
    expect(list.stdout).toMatch(new RegExp(`^users-value\\s+1\\s+${id1}$`, 'm'));
  });

  it('checks compatibility (exit 1 when not compatible) and registers a new version', async () => {
    const good = await cli(['schema', 'check', 'users-value', join(dir, 'v2.avsc')]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/v2\.avsc is compatible with users-value \(latest\)\./);
    const bad = await cli(['schema', 'check', 'users-value', join(dir, 'bad.avsc'), '--format', 'json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ subject: 'users-value', compatible: false });
    const r = JSON.parse((await cli(['schema', 'register', 'users-value', join(dir, 'v2.avsc'), '--format', 'json'])).stdout);
    expect(r.subject).toBe('users-value');
    id2 = r.id;
    expect(id2).not.toBe(id1);
    const versions = JSON.parse((await cli(['schema', 'list', 'users-value', '--json'])).stdout);
    expect(versions).toEqual([
      { subject: 'users-value', version: 1, id: id1 },
      { subject: 'users-value', version: 2, id: id2 },
    ]);
  });

  it('gets schemas by subject/version and by id', async () => {
    const latest = await cli(['schema', 'get', 'users-value']);
    expect(latest.stdout).toMatch(/^subject: users-value\nversion: 2\nid:      \d+\ntype:    AVRO\n\{/);
    const v1 = JSON.parse((await cli(['schema', 'get', 'users-value', '--version', '1', '--format', 'json'])).stdout);
    expect(v1).toMatchObject({ subject: 'users-value', version: 1, id: id1, schemaType: 'AVRO' });
    expect(v1.schema.fields).toEqual(V1.fields);
    const byId = JSON.parse((await cli(['schema', 'get', '--id', String(id2), '--format', 'json'])).stdout);
    expect(byId.schema.fields.map((f: { name: string }) => f.name)).toEqual(['name', 'age']);
  });

  it('reports registry and file errors clearly', async () => {
    const missing = await cli(['schema', 'get', 'nobody-value']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^runnel: schema registry GET \/subjects\/nobody-value\/versions\/latest: .*not found.*\(HTTP 404, error 40401\)/i);
    const closed = await closedPort();
    const down = await cli(['schema', 'list', '--schema-registry', `http://127.0.0.1:${closed}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`runnel: cannot reach the schema registry at http://127.0.0.1:${closed}: ECONNREFUSED\n`);
    const broken = await cli(['schema', 'register', 'x-value', join(dir, 'broken.avsc')]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/broken\.avsc is not valid JSON/);
  });

  it('decodes Avro values through the registry when consuming', async () => {
    const type = avro.Type.forSchema(V2 as avro.Schema);
    const frame = (id: number, v: object) => {
      const body = type.toBuffer(v);
      const head = Buffer.alloc(5);
      head.writeInt32BE(id, 1);
      return Buffer.concat([head, body]);
    };
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    const p = new Producer(client);
    await p.sendAsync({ topic: 'users', key: 'u1', value: frame(id2, { name: 'ann', age: 41 }) });
    await p.sendAsync({ topic: 'users', key: 'u2', value: frame(id2, { name: 'bob\nby', age: 7 }) });
    await client.close();
    const text = await cli(['consume', 'users', '--from-beginning', '--exit-at-end', '--value-format', 'avro', '--print-key', '--quiet']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('u1\t{"name":"ann","age":41}\nu2\t{"name":"bob\\nby","age":7}\n');
    const json = await cli(['consume', 'users', '--from-beginning', '--max-messages', '1', '--value-format', 'avro', '--format', 'json', '--quiet']);
    expect(JSON.parse(json.stdout)).toMatchObject({ topic: 'users', key: 'u1', value: { name: 'ann', age: 41 } });
    const notAvro = await cli(['consume', 'users', '--from-beginning', '--max-messages', '1', '--key-format', 'avro', '--print-key', '--quiet']);
    expect(notAvro.code).toBe(1);
    expect(notAvro.stderr).toMatch(/not Confluent Avro/);
  });
});
