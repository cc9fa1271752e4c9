/**
 * `kafka-configs.sh` (Apache Kafka 4.4's own tool) manages Runnel's client quotas: --alter
 * --add-config / --delete-config for users, clients, user + client and their defaults, and
 * --describe prints them as it does against Kafka. What it sets is enforced: a client named in a
 * quota set by the tool is throttled (throttle_time_ms in its Produce response).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript, toolLines, type JavaResult } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';

let broker: TestBroker;

const configs = (args: string[]): Promise<JavaResult> => runKafkaScript('kafka-configs.sh', ['--bootstrap-server', broker.bootstrap, ...args]);
const lines = toolLines;

describe.skipIf(!javaAvailable())('kafka-configs.sh --entity-type users|clients', () => {
  beforeAll(async () => {
    await ensureJavaBuilt();
    broker = await startTestBroker({ config: { 'num.partitions': 1 } });
  }, 300_000);
  afterAll(async () => {
    await broker?.cleanup();
  });

  it('adds, describes and deletes quota configs as against Kafka, and the quota is enforced', async () => {
    const alter = await configs(['--alter', '--entity-type', 'clients', '--entity-name', 'tool-client', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048']);
    expect(alter.code, alter.stdout + alter.stderr).toBe(0);
    expect(lines(alter)).toEqual(["Completed updating config for client tool-client."]);
    const both = await configs(['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-default', '--add-config', 'request_percentage=50']);
    expect(both.code, both.stdout + both.stderr).toBe(0);
    const bad = await configs(['--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'producer_byte_rate=1.5']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('producer_byte_rate');

    const described = await configs(['--describe', '--entity-type', 'clients', '--entity-name', 'tool-client']);
    expect(described.code, described.stderr).toBe(0);
    expect(lines(described)).toEqual(["Quota configs for client-id 'tool-client' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0"]);
    const users = await configs(['--describe', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients']);
    expect(users.code, users.stderr).toBe(0);
    expect(lines(users)).toEqual(["Quota configs for user-principal 'alice', the default client-id are request_percentage=50.0"]);

    // Enforced: 64 KiB from client id tool-client (1 KiB/s) is throttled at once.
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const admin = await RawClient.connect(broker.host, broker.port);
      await admin.request(19, 4, { topics: [{ name: 'tool', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
      admin.close();
      const body = API_CODECS.get(0)!.newRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: 'tool', partitionData: [{ index: 0, records: buildBatchSync([{ key: null, value: Buffer.alloc(64 * 1024) }]) }] }] });
      c.write(RawClient.encodeRequest(0, 9, body, 1, 'tool-client'));
      const r = new Reader((await c.readFrame())!);
      readResponseHeader(r, true);
      expect((API_CODECS.get(0)!.decodeResponse(r, 9) as any).throttleTimeMs).toBeGreaterThan(1000);
    } finally {
      c.close();
    }

    const ips = await configs(['--alter', '--entity-type', 'ips', '--entity-default', '--add-config', 'connection_creation_rate=100']);
    expect(ips.code, ips.stdout + ips.stderr).toBe(0);
    expect(lines(await configs(['--describe', '--entity-type', 'ips']))).toEqual(['Quota configs for the default ip are connection_creation_rate=100.0']);

    const del = await configs(['--alter', '--entity-type', 'clients', '--entity-name', 'tool-client', '--delete-config', 'producer_byte_rate,consumer_byte_rate']);
    expect(del.code, del.stderr).toBe(0);
    const after = await configs(['--describe', '--entity-type', 'clients']);
    expect(lines(after)).toEqual([]);
  }, 120_000);
});
