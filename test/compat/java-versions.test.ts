/**
 * Kafka 4.4's Java clients use the newest versions Runnel now serves, captured on the wire (a
 * recording proxy between them and the broker): the producer sends Produce v13 (topics by id),
 * the consumer Fetch v18 and Metadata v13, the admin ListOffsets v11 (with the tiered-storage
 * specs answered as Kafka answers them without remote storage), DescribeCluster v2 and
 * ListTransactions v2 with a transactional id pattern; Admin.describeFeatures/updateFeatures work.
 * And what they did still works: every record produced is consumed, committed offsets read back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/data-path/clients.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, javaAvailable, runJavaOk } from '../helpers/java.js';
import { KafkaProxy } from '../helpers/proxy.js';

/** The highest version of each API key the clients sent through the proxy. */
function maxVersions(proxy: KafkaProxy): Map<number, number> {
  const out = new Map<number, number>();
  for (const f of proxy.frames) if (f.direction === 'request') out.set(f.apiKey, Math.max(out.get(f.apiKey) ?? -1, f.apiVersion));
  return out;
}

describe.skipIf(!javaAvailable())('Java 4.4 clients on the Kafka 4.x versions', () => {
  let proxy: KafkaProxy;
  let broker: TestBroker;
  let b: string;
  beforeAll(async () => {
    await ensureJavaBuilt();
    proxy = new KafkaProxy({ record: true });
    await proxy.start();
    const port = await freePort();
    proxy.setUpstream('127.0.0.1', port);
    broker = await startTestBroker({ port, config: { 'advertised.listeners': `PLAINTEXT://${proxy.bootstrap}`, 'group.initial.rebalance.delay.ms': 0, 'unstable.feature.versions.enable': true } });
    b = proxy.bootstrap;
  }, 300_000);
  afterAll(async () => {
    await broker?.cleanup();
    await proxy?.stop();
  });

  it('produce, group consume with commits, list offsets: Produce v13, Fetch v18, Metadata v13, OffsetCommit/OffsetFetch', async () => {
    await runJavaOk('Admin', ['create-topics', '--bootstrap', b, '--topic', 'jv-data', '--partitions', '2']);
    const produced = await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'jv-data', '--count', '500', '--acks', 'all', '--idempotence', 'true']);
    expect(produced.acked).toBe(500);
    const consumed = await runJavaOk('Consume', ['--bootstrap', b, '--topic', 'jv-data', '--group', 'jv-group', '--from-beginning', '--max', '500', '--timeout-ms', '30000', '--commit']);
    expect(consumed.count).toBe(500);
    const offsets = await runJavaOk('Admin', ['list-group-offsets', '--bootstrap', b, '--group', 'jv-group']);
    const committed = Object.values(offsets.offsets as Record<string, { offset: number }>).reduce((n, o) => n + o.offset, 0);
    expect(committed).toBe(500);
    const used = maxVersions(proxy);
    expect({ produce: used.get(0), fetch: used.get(1), metadata: used.get(3) }).toEqual({ produce: 13, fetch: 18, metadata: 13 });
    // The group APIs: whichever version the classic consumer picks, it is one Runnel serves.
    expect(used.get(8)).toBeGreaterThanOrEqual(9);
    expect(used.get(9)).toBeGreaterThanOrEqual(9);
    expect(used.get(10)).toBe(6);
  }, 180_000);

  it('Admin: ListOffsets v11 with the tiered specs, DescribeCluster v2, ListTransactions v2, describe/updateFeatures', async () => {
    proxy.frames.length = 0;
    const spec = async (s: string) => (await runJavaOk('Admin', ['list-offsets', '--bootstrap', b, '--topic', 'jv-data', '--spec', s])).partitions;
    const earliestLocal = await spec('earliest-local');
    expect(Object.values(earliestLocal).map((o: any) => o.offset)).toEqual([0, 0]);
    for (const s of ['latest-tiered', 'earliest-pending-upload']) expect(Object.values(await spec(s)).map((o: any) => o.offset)).toEqual([-1, -1]);
    const cluster = await runJavaOk('Admin', ['describe-cluster', '--bootstrap', b]);
    expect(cluster.nodes).toHaveLength(1);
    const txns = await runJavaOk('Admin', ['list-transactions', '--bootstrap', b, '--pattern', 'nothing-.*']);
    expect(txns.transactions).toEqual({});

    const before = await runJavaOk('Admin', ['describe-features', '--bootstrap', b]);
    // A new cluster starts at the production levels, as Kafka 4.x's do.
    expect(before.finalized).toEqual({ 'metadata.version': 33, 'transaction.version': 2, 'group.version': 1, 'share.version': 2 });
    expect(before.supported['group.version']).toBe('0-1');
    const updated = await runJavaOk('Admin', ['update-features', '--bootstrap', b, '--feature', 'transaction.version=1', '--type', 'safe-downgrade']);
    expect(updated.features).toEqual({ 'transaction.version': 'ok' });
    const refused = await runJavaOk('Admin', ['update-features', '--bootstrap', b, '--feature', 'share.version=3']);
    expect(refused.features['share.version'].error.class).toBe('InvalidUpdateVersionException');
    const after = await runJavaOk('Admin', ['describe-features', '--bootstrap', b]);
    expect(after.finalized).toEqual({ 'metadata.version': 33, 'transaction.version': 1, 'group.version': 1, 'share.version': 2 });
    expect(after.epoch).toBeGreaterThan(before.epoch);

    const used = maxVersions(proxy);
    expect({ listOffsets: used.get(2), describeCluster: used.get(60), listTransactions: used.get(66), updateFeatures: used.get(57) }).toEqual({ listOffsets: 11, describeCluster: 2, listTransactions: 2, updateFeatures: 2 });
  }, 180_000);
});
